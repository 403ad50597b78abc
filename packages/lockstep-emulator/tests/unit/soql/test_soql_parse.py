"""The parser against a corpus of real-world SOQL (in the style of soql-parser-js's test
queries) plus our own cases.

Each valid query must parse, render back to the expected canonical text, and re-parse
to an equal tree: together these catch any clause, literal or keyword the parser
drops or misreads. Each bad query must fail with the right error code and say where.
"""

from __future__ import annotations

import pytest
from lockstep_emulator.errors import MalformedQuery
from lockstep_emulator.soql import parse
from lockstep_emulator.soql.render import render

# (query, canonical rendering when it differs from the query)
CORPUS: list[tuple[str, str | None]] = [
    ("SELECT Id, Name, BillingCity FROM Account", None),
    ("SELECT Id FROM Contact WHERE Name LIKE 'A%' AND MailingCity = 'California'", None),
    ("SELECT Name FROM Account ORDER BY Name DESC NULLS LAST", None),
    ("SELECT Name FROM Account WHERE Industry = 'media' LIMIT 125", None),
    (
        "SELECT Name FROM Account WHERE Industry = 'media' ORDER BY BillingPostalCode ASC "
        "NULLS LAST LIMIT 125",
        "SELECT Name FROM Account WHERE Industry = 'media' ORDER BY BillingPostalCode NULLS "
        "LAST LIMIT 125",
    ),
    ("SELECT COUNT() FROM Contact", None),
    ("SELECT LeadSource, COUNT(Name) FROM Lead GROUP BY LeadSource", None),
    ("SELECT Name, COUNT(Id) FROM Account GROUP BY Name HAVING COUNT(Id) > 1", None),
    ("SELECT Name, Id FROM Merchandise__c ORDER BY Name OFFSET 100", None),
    ("SELECT Name, Id FROM Merchandise__c ORDER BY Name LIMIT 20 OFFSET 100", None),
    ("SELECT Contact.FirstName, Contact.Account.Name FROM Contact", None),
    ("SELECT Id, Name, Account.Name FROM Contact WHERE Account.Industry = 'media'", None),
    ("SELECT Name, (SELECT LastName FROM Contacts) FROM Account", None),
    ("SELECT Account.Name, (SELECT Contact.LastName FROM Account.Contacts) FROM Account", None),
    (
        "SELECT Name, (SELECT LastName FROM Contacts WHERE CreatedBy.Alias='x') FROM Account "
        "WHERE Industry='media'",
        "SELECT Name, (SELECT LastName FROM Contacts WHERE CreatedBy.Alias = 'x') FROM Account "
        "WHERE Industry = 'media'",
    ),
    (
        "SELECT Id, FirstName__c, Mother_of_Child__r.FirstName__c FROM Daughter__c WHERE "
        "Mother_of_Child__r.LastName__c LIKE 'C%'",
        None,
    ),
    (
        "SELECT Name, (SELECT Name FROM Line_Items__r) FROM Merchandise__c WHERE Name LIKE 'Acme%'",
        None,
    ),
    ("SELECT Id, Owner.Name FROM Task WHERE Owner.FirstName LIKE 'B%'", None),
    ("SELECT Id, Who.FirstName, Who.LastName FROM Task WHERE Owner.FirstName LIKE 'B%'", None),
    ("SELECT Id, What.Name FROM Event", None),
    ("SELECT Name, (SELECT CreatedBy.Name FROM Notes) FROM Account", None),
    (
        "SELECT Amount, Id, Name, (SELECT Quantity, ListPrice, PricebookEntry.UnitPrice, "
        "PricebookEntry.Name FROM OpportunityLineItems) FROM Opportunity",
        None,
    ),
    ("SELECT UserId, LoginTime FROM LoginHistory", None),
    (
        "SELECT UserId, COUNT(Id) FROM LoginHistory WHERE LoginTime > 2010-09-20T22:16:30.000Z "
        "AND LoginTime < 2010-09-21 GROUP BY UserId",
        None,
    ),
    ("SELECT Id, Name, IsActive, SobjectType, DeveloperName, Description FROM RecordType", None),
    (
        "SELECT CampaignId, AVG(Amount) avg FROM Opportunity GROUP BY CampaignId HAVING "
        "COUNT(Id, Name) > 1",
        None,
    ),
    ("SELECT LeadSource, COUNT(Name) cnt FROM Lead GROUP BY ROLLUP(LeadSource)", None),
    (
        "SELECT Status, LeadSource, COUNT(Name) cnt FROM Lead GROUP BY ROLLUP(Status, LeadSource)",
        None,
    ),
    (
        "SELECT Type, BillingCountry, GROUPING(Type)grpType, GROUPING(BillingCountry) grpCty, "
        "COUNT(id) accts FROM Account GROUP BY CUBE(Type,BillingCountry) ORDER BY "
        "GROUPING(Type), GROUPING(Id,BillingCountry), Name DESC NULLS FIRST, Id ASC NULLS LAST",
        "SELECT Type, BillingCountry, GROUPING(Type) grpType, GROUPING(BillingCountry) grpCty, "
        "COUNT(id) accts FROM Account GROUP BY CUBE(Type, BillingCountry) ORDER BY "
        "GROUPING(Type), GROUPING(Id, BillingCountry), Name DESC NULLS FIRST, Id NULLS LAST",
    ),
    ("SELECT c.Name, c.Account.Name FROM Contact c", None),
    (
        "SELECT Id FROM Account WHERE (Id IN ('1', '2', '3') OR (NOT Id = '2') OR (Name LIKE "
        "'%FOO%' OR (Name LIKE '%ARM%' AND FOO = 'bar')))",
        "SELECT Id FROM Account WHERE Id IN ('1', '2', '3') OR (NOT Id = '2') OR (Name LIKE "
        "'%FOO%' OR (Name LIKE '%ARM%' AND FOO = 'bar'))",
    ),
    (
        "SELECT LeadSource, COUNT(Name) FROM Lead GROUP BY LeadSource HAVING COUNT(Name) > 100 "
        "AND LeadSource > 'Phone'",
        None,
    ),
    (
        "SELECT a.Id, a.Name, (SELECT a2.Id FROM ChildAccounts a2), (SELECT a1.Id FROM "
        "ChildAccounts1 a1) FROM Account a",
        None,
    ),
    ("SELECT Id FROM Contact FOR VIEW", None),
    ("SELECT Id FROM Contact FOR REFERENCE", None),
    ("SELECT Id FROM Contact FOR UPDATE", None),
    ("SELECT Id FROM FAQ__kav FOR UPDATE", None),
    ("SELECT Id FROM FAQ__kav FOR VIEW UPDATE TRACKING", None),
    ("SELECT Id FROM FAQ__kav UPDATE VIEWSTAT", None),
    (
        "SELECT amount, FORMAT(amount) Amt, convertCurrency(amount) editDate, "
        "FORMAT(convertCurrency(amount)) convertedCurrency FROM Opportunity WHERE id = '12345'",
        None,
    ),
    ("SELECT FORMAT(MIN(closedate)) Amt FROM Opportunity", None),
    ("SELECT Company, toLabel(Status) FROM Lead WHERE toLabel(Status) = 'le Draft'", None),
    (
        "SELECT Id, Name FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity WHERE "
        "StageName = 'Closed Lost')",
        None,
    ),
    (
        "SELECT Id FROM Account WHERE Id NOT IN (SELECT AccountId FROM Opportunity WHERE "
        "IsClosed = TRUE)",
        None,
    ),
    (
        "SELECT Id, Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName "
        "LIKE 'apple%') AND Id IN (SELECT AccountId FROM Opportunity WHERE isClosed = FALSE)",
        None,
    ),
    (
        "SELECT Account.Name, (SELECT Contact.LastName FROM Account.Contact.Foo.Bars) FROM Account",
        None,
    ),
    ("SELECT LeadSource, COUNT(Name)cnt FROM Lead", "SELECT LeadSource, COUNT(Name) cnt FROM Lead"),
    ("SELECT Id, Name FROM Account WHERE Name != 'foo'", None),
    (
        "SELECT Id FROM Account WHERE Foo IN ('1', '2', '3') OR Bar IN (1, 2, 3) OR Baz IN "
        "(101.00, 102.50) OR Bam IN ('FOO', null)",
        "SELECT Id FROM Account WHERE Foo IN ('1', '2', '3') OR Bar IN (1, 2, 3) OR Baz IN "
        "(101.00, 102.50) OR Bam IN ('FOO', NULL)",
    ),
    (
        "SELECT Id, Name FROM Account WHERE CreatedDate > LAST_N_YEARS:1 AND LastModifiedDate > "
        "LAST_MONTH",
        None,
    ),
    (
        "SELECT Id, CreatedById, CreatedDate, DefType, IsDeleted, Format, LastModifiedById, "
        "LastModifiedDate, AuraDefinitionBundleId, ManageableState, Source, SystemModstamp FROM "
        "AuraDefinition",
        None,
    ),
    ("SELECT Id, Name, BillingCity FROM Account WITH SECURITY_ENFORCED", None),
    (
        "SELECT Id FROM Account WHERE (((Name = '1' OR Name = '2') AND Name = '3')) AND "
        "(((Description = '123') OR (Id = '1' AND Id = '2'))) AND Id = '1'",
        "SELECT Id FROM Account WHERE ((Name = '1' OR Name = '2') AND Name = '3') AND "
        "(Description = '123' OR (Id = '1' AND Id = '2')) AND Id = '1'",
    ),
    ("SELECT Name FROM Account OFFSET 1", None),
    (
        "SELECT Name FROM Account WHERE Industry IN ('media', null, 1, 'media', 2) LIMIT 125",
        "SELECT Name FROM Account WHERE Industry IN ('media', NULL, 1, 'media', 2) LIMIT 125",
    ),
    ("SELECT Name FROM Account WHERE Foo = NULL", None),
    ("SELECT Name FROM Account WHERE Foo = TODAY", None),
    ("SELECT Name FROM Account WHERE Foo = LAST_N_YEARS:1", None),
    ("SELECT Name FROM Account WHERE Foo = 2010-09-20T22:16:30.000Z", None),
    ("SELECT Name FROM Account WHERE Foo = 1", None),
    ("SELECT Name FROM Account WHERE Foo = TRUE AND bar = FALSE", None),
    (
        "SELECT CALENDAR_YEAR(CreatedDate) calYear, SUM(Amount) mySum FROM Opportunity GROUP BY "
        "CALENDAR_YEAR(CreatedDate)",
        None,
    ),
    (
        "SELECT CALENDAR_YEAR(convertTimezone(CreatedDate)) calYear, SUM(Amount) mySum FROM "
        "Opportunity GROUP BY CALENDAR_YEAR(convertTimezone(CreatedDate))",
        None,
    ),
    ("SELECT COUNT_DISTINCT(Company) distinct FROM Lead", None),
    ("SELECT Name, toLabel(Recordtype.Name) FROM Account", None),
    ("SELECT Id, MSP1__c FROM CustObj__c WHERE MSP1__c INCLUDES ('AAA;BBB', 'CCC')", None),
    ("SELECT Id FROM Account WHERE CreatedDate > LAST_N_FISCAL_QUARTERS:6", None),
    ("SELECT Id FROM Opportunity WHERE CloseDate < NEXT_N_FISCAL_YEARS:3", None),
    ("SELECT Id FROM Opportunity WHERE CloseDate > LAST_N_FISCAL_YEARS:3", None),
    (
        "SELECT Id, Title FROM Dashboard USING SCOPE allPrivate WHERE Type != 'SpecifiedUser'",
        None,
    ),
    (
        "SELECT LeadSource, Rating, GROUPING(LeadSource) grpLS, GROUPING(Rating) grpRating, "
        "COUNT(Name) cnt FROM Lead GROUP BY ROLLUP(LeadSource, Rating)",
        None,
    ),
    (
        "SELECT HOUR_IN_DAY(convertTimezone(CreatedDate)), SUM(Amount) FROM Opportunity GROUP "
        "BY HOUR_IN_DAY(convertTimezone(CreatedDate))",
        None,
    ),
    (
        "SELECT Name, COUNT(Id) FROM Account GROUP BY Name HAVING COUNT(Id) > 0 AND (Name LIKE "
        "'%testing%' OR Name LIKE '%123%')",
        None,
    ),
    (
        "SELECT Name, COUNT(Id) FROM Account GROUP BY Name HAVING COUNT(Id) > 0 AND (Name IN "
        "('4/30 testing account', 'amendment quote doc testing', null))",
        "SELECT Name, COUNT(Id) FROM Account GROUP BY Name HAVING COUNT(Id) > 0 AND Name IN "
        "('4/30 testing account', 'amendment quote doc testing', NULL)",
    ),
    (
        "SELECT Name, COUNT(Id) FROM Account GROUP BY Name HAVING COUNT(Id) > 0 AND (NOT Name IN "
        "('4/30 testing account', 'amendment quote doc testing'))",
        None,
    ),
    (
        "SELECT Name, Location__c FROM Warehouse__c WHERE DISTANCE(Location__c, "
        "GEOLOCATION(37.775, -122.418), 'mi') < 20",
        None,
    ),
    (
        "SELECT Name, StreetAddress__c FROM Warehouse__c WHERE DISTANCE(Location__c, "
        "GEOLOCATION(37.775, -122.418), 'mi') < 20 ORDER BY DISTANCE(Location__c, "
        "GEOLOCATION(37.775, -122.418), 'mi') DESC LIMIT 10",
        None,
    ),
    (
        "SELECT BillingState, BillingStreet, COUNT(Id) FROM Account GROUP BY BillingState, "
        "BillingStreet",
        None,
    ),
    ("SELECT Id FROM Account WHERE CreatedDate IN (TODAY)", None),
    ("SELECT Id FROM Account WHERE CreatedDate IN (TODAY, LAST_N_DAYS:4)", None),
    ("SELECT Id FROM Account WHERE CreatedDate IN (LAST_N_DAYS:4, LAST_N_DAYS:7)", None),
    (
        "SELECT SBQQ__Product__r.Name foo, SBQQ__Quote__c foo1 FROM SBQQ__Quoteline__c GROUP BY "
        "SBQQ__Quote__c, SBQQ__Product__r.Name",
        None,
    ),
    (
        "SELECT Id, convertCurrency(Amount) FROM Opportunity WHERE Amount > 0 AND "
        "CALENDAR_YEAR(CloseDate) = 2020",
        None,
    ),
    (
        "SELECT Id FROM LoginHistory WHERE LoginTime > "
        "2020-04-23T09:00:00.00000000000000000000000000000000+00:00 AND LoginTime < "
        "2020-04-15T02:40:03.000+0000",
        None,
    ),
    (
        "SELECT ProductCode FROM Product2 GROUP BY ProductCode HAVING COUNT(Id) > 1 ORDER BY "
        "COUNT(Id) DESC",
        None,
    ),
    (
        "SELECT AnnualRevenue FROM Account WHERE NOT (AnnualRevenue > 0 AND AnnualRevenue < "
        "200000)",
        None,
    ),
    (
        "SELECT AnnualRevenue FROM Account WHERE ((NOT AnnualRevenue > 0) AND AnnualRevenue < "
        "200000)",
        "SELECT AnnualRevenue FROM Account WHERE (NOT AnnualRevenue > 0) AND AnnualRevenue < "
        "200000",
    ),
    ("SELECT Id FROM Account WHERE NOT Id = '2'", None),
    (
        "SELECT WEEK_IN_YEAR(CloseDate), SUM(amount) FROM Opportunity GROUP BY "
        "WEEK_IN_YEAR(CloseDate) ORDER BY WEEK_IN_YEAR(CloseDate) DESC NULLS LAST, SUM(amount) "
        "ASC NULLS LAST",
        "SELECT WEEK_IN_YEAR(CloseDate), SUM(amount) FROM Opportunity GROUP BY "
        "WEEK_IN_YEAR(CloseDate) ORDER BY WEEK_IN_YEAR(CloseDate) DESC NULLS LAST, SUM(amount) "
        "NULLS LAST",
    ),
    ("SELECT FIELDS(ALL) FROM Account", None),
    ("SELECT FIELDS(CUSTOM), FIELDS(STANDARD) FROM Account", None),
    ("SELECT Id, (SELECT FIELDS(ALL) FROM Contacts) FROM Account", None),
    (
        "SELECT UserId, CALENDAR_MONTH(LoginTime) month FROM LoginHistory WHERE NetworkId != NULL "
        "GROUP BY UserId, CALENDAR_MONTH(LoginTime)",
        None,
    ),
    ("SELECT Name FROM Account WHERE Name IN ('GenePoint\\'s \\n Ok!?!@#$^%$&*()_+')", None),
    ("SELECT State_Abbr_c FROM Contact WHERE State_Abbr_c = 'MI' OR State_Abbr_c = 'km'", None),
    ("SELECT State_Abbr_c FROM Contact WHERE State_Abbr_c IN ('mi', 'KM')", None),
    ("SELECT Id FROM Account WITH USER_MODE", None),
    ("SELECT Id FROM Account WITH SYSTEM_MODE", None),
    ("SELECT Id, BillingCity FROM Account WHERE NOT (NOT BillingCity LIKE '%123%')", None),
    (
        "SELECT Id FROM Account WHERE (NOT Invoice_Type__c LIKE '%Usage%')",
        "SELECT Id FROM Account WHERE NOT Invoice_Type__c LIKE '%Usage%'",
    ),
    (
        "SELECT Id, City FROM Lead WHERE NOT ((NOT (City LIKE '%LHR%')) AND City LIKE '%KHR%')",
        "SELECT Id, City FROM Lead WHERE NOT ((NOT City LIKE '%LHR%') AND City LIKE '%KHR%')",
    ),
    (
        "SELECT Name, Id FROM Contact USING SCOPE mru ORDER BY Name ASC",
        "SELECT Name, Id FROM Contact USING SCOPE mru ORDER BY Name",
    ),
    ("SELECT Id FROM Task USING SCOPE delegated", None),
    ("SELECT Id FROM Account USING SCOPE everything", None),
    ("SELECT Id FROM Account USING SCOPE mine", None),
    ("SELECT Id FROM ProcessInstanceWorkitem USING SCOPE mine_and_my_groups", None),
    ("SELECT Id FROM Account USING SCOPE my_territory", None),
    ("SELECT Id FROM Account USING SCOPE team", None),
    (
        "SELECT Id FROM Account WHERE Name = 'a' WITH SECURITY_ENFORCED ORDER BY Name LIMIT 5",
        None,
    ),
    ("SELECT COUNT(Id) FROM Account WITH USER_MODE GROUP BY Name HAVING COUNT(Id) > 1", None),
    ("SELECT COUNT()FROM Contact", "SELECT COUNT() FROM Contact"),
    ("SELECT Count() myAlias FROM Account", None),
    ("select count() myalias from account", "SELECT count() myalias FROM account"),
    ("SeLEct CouNt() myAlias frOM Account", "SELECT CouNt() myAlias FROM Account"),
    ("SELECT Name, Id FROM Merchandise__c ORDER BY Name LIMIT 100 OFFSET 0", None),
    # Our own: names that look like keywords, spacing, literals, nesting.
    ("SELECT Id FROM Order ORDER BY Id", None),
    ("SELECT Id, Name FROM Group WHERE Type = 'Queue'", None),
    ("SELECT Order.Name, OrderId FROM OrderItem WHERE Order.Status = 'Draft'", None),
    ("SELECT Ordered__c, Limited__c, Selector__c FROM Thing__c", None),
    ("SELECT Id\nFROM Account\n\tWHERE Name = 'x'\n", "SELECT Id FROM Account WHERE Name = 'x'"),
    ("  SELECT  Id ,Name  FROM  Account  ", "SELECT Id, Name FROM Account"),
    ("SELECT Id FROM Account WHERE Name = 'caf\u00e9 \u2603'", None),
    ("SELECT Id FROM Account WHERE Name = 'tab\\there'", None),
    ("SELECT Id FROM Account WHERE Name = 'back\\\\slash'", None),
    ("SELECT Id FROM Account WHERE Name = 'say \\\"hi\\\"'", None),
    ("SELECT Id FROM Account WHERE Name LIKE '100\\%'", None),
    ("SELECT Id FROM Account WHERE Name LIKE 'a\\_b%'", None),
    ("SELECT Id FROM Account WHERE AnnualRevenue >= -5.25", None),
    (
        "SELECT Id FROM Account WHERE AnnualRevenue <> 0",
        "SELECT Id FROM Account WHERE AnnualRevenue != 0",
    ),
    ("SELECT Id FROM Account WHERE NumberOfEmployees <= 10 AND NumberOfEmployees > 1", None),
    ("SELECT Id FROM Account WHERE CreatedDate >= 2024-01-01T00:00:00Z", None),
    ("SELECT Id FROM Account WHERE CreatedDate < 2024-01-01T10:00:00-05:00", None),
    ("SELECT Id FROM Account WHERE CreatedDate < 2024-01-01T10:00:00.5+0530", None),
    ("SELECT Id FROM Opportunity WHERE CloseDate = 2024-02-29", None),
    ("SELECT Id FROM Opportunity WHERE CloseDate != N_DAYS_AGO:3", None),
    ("SELECT Id FROM Contact WHERE AccountId NOT IN (SELECT Id FROM Account)", None),
    ("SELECT Id FROM Contact WHERE Tags__c EXCLUDES ('a', 'b;c')", None),
    ("SELECT Id FROM Account WHERE Name NOT IN ('a', 'b')", None),
    ("SELECT Id FROM Account WHERE NOT (Name = 'a' OR Name = 'b')", None),
    ("SELECT Id FROM Account ORDER BY Name NULLS FIRST, Owner.Name DESC", None),
    ("SELECT Id FROM Account a WHERE a.Name = 'x' ORDER BY a.Name", None),
    (
        "SELECT Id, Account.Owner.Manager.Profile.UserRole.Name FROM Contact",
        None,
    ),
    (
        "SELECT Id, (SELECT Id FROM Contacts WHERE Email != null ORDER BY LastName DESC LIMIT 5 "
        "OFFSET 1) FROM Account",
        "SELECT Id, (SELECT Id FROM Contacts WHERE Email != NULL ORDER BY LastName DESC LIMIT 5 "
        "OFFSET 1) FROM Account",
    ),
    ("SELECT Id FROM Account WHERE Id IN ('001000000000001AAA') FOR UPDATE", None),
    ("SELECT MIN(CreatedDate), MAX(CreatedDate) FROM Account", None),
    ("SELECT Industry i, SUM(AnnualRevenue) total FROM Account GROUP BY Industry", None),
]

RELATIVE_DATES = [
    "YESTERDAY",
    "TODAY",
    "TOMORROW",
    "LAST_WEEK",
    "THIS_WEEK",
    "NEXT_WEEK",
    "LAST_MONTH",
    "THIS_MONTH",
    "NEXT_MONTH",
    "LAST_90_DAYS",
    "NEXT_90_DAYS",
    "LAST_N_DAYS:365",
    "NEXT_N_DAYS:15",
    "NEXT_N_WEEKS:4",
    "LAST_N_WEEKS:52",
    "NEXT_N_MONTHS:2",
    "LAST_N_MONTHS:12",
    "THIS_QUARTER",
    "LAST_QUARTER",
    "NEXT_QUARTER",
    "NEXT_N_QUARTERS:2",
    "LAST_N_QUARTERS:2",
    "THIS_YEAR",
    "LAST_YEAR",
    "NEXT_YEAR",
    "NEXT_N_YEARS:5",
    "LAST_N_YEARS:5",
    "THIS_FISCAL_QUARTER",
    "LAST_FISCAL_QUARTER",
    "NEXT_FISCAL_QUARTER",
    "NEXT_N_FISCAL_QUARTERS:6",
    "THIS_FISCAL_YEAR",
    "LAST_FISCAL_YEAR",
    "NEXT_FISCAL_YEAR",
    "N_DAYS_AGO:0",
    "N_WEEKS_AGO:2",
    "N_MONTHS_AGO:1",
    "N_QUARTERS_AGO:3",
    "N_YEARS_AGO:10",
]
for _i, _literal in enumerate(RELATIVE_DATES):
    _op = ["=", ">", "<", ">=", "<=", "!="][_i % 6]
    CORPUS.append((f"SELECT Id FROM Opportunity WHERE CloseDate {_op} {_literal}", None))


@pytest.mark.parametrize(("soql", "canonical"), CORPUS, ids=range(len(CORPUS)))
def test_corpus_round_trips(soql: str, canonical: str | None) -> None:
    tree = parse(soql)
    text = render(tree)
    assert text == (canonical or soql)
    assert parse(text) == tree


def test_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 150


# (query, error code, message fragment, "row:column")
BAD: list[tuple[str, str, str, str]] = [
    ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY", "unexpected token: '<EOF>'", "1:29"),
    ("SELECT Id, Name, BillingCity FROMAccount", "MALFORMED_QUERY", "'<EOF>'", "1:41"),
    (
        "SELECTName FROM Account ORDER BY Name DESC NULLS LAST",
        "MALFORMED_QUERY",
        "unexpected token: 'SELECTName'",
        "1:1",
    ),
    (
        "SELECT Name, COUNT(Id) FROM Account GROUPBY Name HAVING COUNT(Id) > 1",
        "MALFORMED_QUERY",
        "unexpected token: 'Name'",
        "1:45",
    ),
    (
        "SELECT Name, Id FROM Merchandise__c ORDER BY Name OFFSET100",
        "MALFORMED_QUERY",
        "'OFFSET100'",
        "1:51",
    ),
    (
        "SELECT Contact..FirstName, Contact.Account.Name FROM Contact",
        "MALFORMED_QUERY",
        "unexpected token: '.'",
        "1:16",
    ),
    (
        "SELECT Name (SELECT LastName FROM Contacts) FROM Account",
        "MALFORMED_QUERY",
        "unexpected token: 'SELECT'",
        "1:14",
    ),
    ("select some fake text", "MALFORMED_QUERY", "unexpected token: 'text'", "1:18"),
    (
        "SELECT Id FROM Daughter__c WHERE Mother_of_Child__r.LastName__c LastName__c LIKE 'C%'",
        "MALFORMED_QUERY",
        "unexpected token: 'LastName__c'",
        "1:65",
    ),
    (
        "SELECT Id FROM Contact WHERE Name LIKE 'A%' AND MailingCity = 'California' fds",
        "MALFORMED_QUERY",
        "unexpected token: 'fds'",
        "1:76",
    ),
    ("SELECT Name FROM Account WHERE Id = foo", "MALFORMED_QUERY", "'foo'", "1:37"),
    ("SELECT Name FROM Account ORDER BY", "MALFORMED_QUERY", "'<EOF>'", "1:34"),
    ("SELECT Name FROM Account LIMIT", "MALFORMED_QUERY", "'<EOF>'", "1:31"),
    ("SELECT Name FROM Account LIMIT 'foo'", "MALFORMED_QUERY", "'foo'", "1:32"),
    ("SELECT Name FROM Account OFFSET 'foo'", "MALFORMED_QUERY", "'foo'", "1:33"),
    ("SELECT Name, COUNT(Id) FROM Account GROUP BY Name HAVING", "MALFORMED_QUERY", "EOF", "1:57"),
    ("SELECT FROM Account WHERE Id = foo", "MALFORMED_QUERY", "unexpected token: 'FROM'", "1:8"),
    ("SELECT Name FROM Account FROM Account", "MALFORMED_QUERY", "'FROM'", "1:26"),
    ("SELECT Name FROM Account WITH", "MALFORMED_QUERY", "'<EOF>'", "1:30"),
    ("SELECT Name FROM Account GROUP BY", "MALFORMED_QUERY", "'<EOF>'", "1:34"),
    ("SELECT Name FROM Account For", "MALFORMED_QUERY", "'<EOF>'", "1:29"),
    ("SELECT Name FROM Account FOR DELETE", "MALFORMED_QUERY", "'DELETE'", "1:30"),
    ("SELECT Name FROM Account UPDATE NOTHING", "MALFORMED_QUERY", "'NOTHING'", "1:33"),
    ("SELECT Name FROM Account WITH FRIENDS", "MALFORMED_QUERY", "'FRIENDS'", "1:31"),
    ("SELECT Name FROM Account WHERE Id = :foo", "MALFORMED_QUERY", "':'", "1:37"),
    ("SELECT Name FROM Account LIMIT 100 OFFSET -10", "MALFORMED_QUERY", "'-10'", "1:43"),
    ("SELECT Name FROM Account LIMIT -10 OFFSET 10", "MALFORMED_QUERY", "'-10'", "1:32"),
    ("SELECT Name FROM Account LIMIT 1.5", "MALFORMED_QUERY", "'1.5'", "1:32"),
    (
        "SELECT Title FROM Question WITH DATA CATEGORY Geography__c AT usa__c",
        "MALFORMED_QUERY",
        "'CATEGORY'",
        "1:38",
    ),
    ("SELECT Id FROM Opportunity WHERE Amount > USD5000", "MALFORMED_QUERY", "'USD5000'", "1:43"),
    (
        "SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'",
        "MALFORMED_QUERY",
        "unexpected token: 'OR'",
        "1:56",
    ),
    (
        "SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b' AND Name = 'c'",
        "MALFORMED_QUERY",
        "unexpected token: 'AND'",
        "1:55",
    ),
    ("SELECT Id FROM Account WHERE Name = 'open", "MALFORMED_QUERY", "character", "1:37"),
    ('SELECT Id FROM Account WHERE Name = "x"', "MALFORMED_QUERY", "character '\"'", "1:37"),
    ("SELECT Id FROM Account WHERE CreatedDate > LAST_N_DAYS", "MALFORMED_QUERY", "':n'", "1:44"),
    ("SELECT Id FROM Account WHERE CreatedDate > TODAY:3", "MALFORMED_QUERY", "'3'", "1:50"),
    ("SELECT Id FROM Account WHERE CreatedDate > LAST_N_DAYS:x", "MALFORMED_QUERY", "'x'", "1:56"),
    (
        "SELECT Id FROM Account WHERE CreatedDate > LAST_N_DAYS:1.5",
        "MALFORMED_QUERY",
        "'1.5'",
        "1:56",
    ),
    ("SELECT Id FROM Account WHERE Name = 'bad \\q escape'", "MALFORMED_QUERY", "\\q", "1:37"),
    ("SELECT Id FROM Opportunity WHERE CloseDate = 2024-13-01", "MALFORMED_QUERY", "month", "1:46"),
    (
        "SELECT Id FROM Account WHERE CreatedDate = 2024-02-30T00:00:00Z",
        "MALFORMED_QUERY",
        "day",
        "1:44",
    ),
    ("SELECT Id\nFROM Account\nWHERE Name == 'x'", "MALFORMED_QUERY", "'='", "3:13"),
    ("SELECT Id\nFROM Account\nWHERE Name = \n", "MALFORMED_QUERY", "'<EOF>'", "3:14"),
    ("", "MALFORMED_QUERY", "'<EOF>'", "1:1"),
    ("DELETE FROM Account", "MALFORMED_QUERY", "'DELETE'", "1:1"),
    ("SELECT Id FROM Account LIMIT 5 WHERE Name = 'x'", "MALFORMED_QUERY", "'WHERE'", "1:32"),
    ("SELECT Id FROM Account ORDER BY Name WHERE Name = 'x'", "MALFORMED_QUERY", "'WHERE'", "1:38"),
    ("SELECT Id FROM Account WHERE Name IN ()", "MALFORMED_QUERY", "')'", "1:39"),
    ("SELECT Id FROM Account WHERE (Name = 'x'", "MALFORMED_QUERY", "'<EOF>'", "1:41"),
    ("SELECT Id, FROM Account", "MALFORMED_QUERY", "'FROM'", "1:12"),
]


@pytest.mark.parametrize(("soql", "code", "fragment", "where"), BAD, ids=range(len(BAD)))
def test_bad_queries_say_what_and_where(soql: str, code: str, fragment: str, where: str) -> None:
    with pytest.raises(MalformedQuery) as caught:
        parse(soql)
    error = caught.value
    assert error.error_code == code
    assert fragment in error.message
    row, column = where.split(":")
    assert f"ERROR at Row:{row}:Column:{column}" in error.message


def test_error_message_points_a_caret_at_the_token() -> None:
    with pytest.raises(MalformedQuery) as caught:
        parse("SELECT Id FROM Account WHERE Name = 'a' garbage")
    assert caught.value.message == (
        "\nSELECT Id FROM Account WHERE Name = 'a' garbage"
        "\n                                        ^"
        "\nERROR at Row:1:Column:41"
        "\nunexpected token: 'garbage'"
    )
    assert caught.value.as_rest()["errorCode"] == "MALFORMED_QUERY"


def test_overlong_query_is_rejected() -> None:
    with pytest.raises(MalformedQuery, match="maximum length"):
        parse("SELECT Id FROM Account WHERE Name = '" + "x" * 100_001 + "'")
