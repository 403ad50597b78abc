"""The Salesforce connector: an org through simple-salesforce, behind ``Connector``.

::

    connector.py     SalesforceConnector: the seam, shedding, capture modes
    auth.py          each OAuth flow: (instance_url, access_token)
    session.py       the one requests.Session: call counting, usage, timeouts
    client.py        simple-salesforce: re-login, retries, failures classified
    failures.py      HTTP and connection failures as lockstep errors
    retry.py         full-jitter backoff
    describe.py      describe → ObjectShape (type → kind)
    values.py        Python values to and from JSON and CSV
    read.py          SOQL paging, snapshot (REST, or Bulk above a threshold)
    bulk_query.py    Bulk API 2.0 query jobs: poll, result pages, CSV rows
    poll.py          changes by SystemModstamp polling
    records.py       ops as records, grouping, per-record errors
    apply.py         groups to Collections or Bulk
    collections.py   sObject Collections
    bulk.py          Bulk API 2.0 ingest jobs
    bulk_table.py    a group of ops as the job's CSV
    bulk_pace.py     when to poll a running job
    bulk_results.py  Bulk result files mapped to input rows
"""

from lockstep.connectors.salesforce.connector import CaptureUnsupported, SalesforceConnector

__all__ = ["CaptureUnsupported", "SalesforceConnector"]
