-- The case system's table (seed 000's source of truth). SQLite, PostgreSQL and MariaDB
-- take it as is. lockstep adds its change table and triggers at its first pass.
CREATE TABLE cases (
    id            INTEGER PRIMARY KEY,
    subject       VARCHAR(255),
    description   TEXT,
    priority      VARCHAR(20),
    status        VARCHAR(20),
    resolution    TEXT,              -- the case system's own: not in Salesforce
    salesforce_id VARCHAR(18) UNIQUE, -- the Case's Id, written back by lockstep
    sync_status   VARCHAR(20),       -- In Progress, Success or Failed
    sync_error    VARCHAR(255)       -- why the last sync failed
);
