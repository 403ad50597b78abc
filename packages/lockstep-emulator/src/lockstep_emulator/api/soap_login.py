"""``POST /services/Soap/u/{version}``: the partner API's ``login``.

simple-salesforce's username/password login uses it, and reads the reply with
``getElementsByTagName``: ``sessionId`` and ``serverUrl`` must be unprefixed elements
(the partner namespace is the default one), and a failure's ``sf:exceptionCode`` and
``sf:exceptionMessage`` must carry that literal ``sf:`` prefix.

The request is parsed with expat directly and any DOCTYPE is refused (SOAP forbids
them), so no entity can be declared: no external entities, no entity expansion.
Anything unreadable becomes a SOAP fault, never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat
from xml.sax.saxutils import escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lockstep_emulator import ids
from lockstep_emulator.api import credentials
from lockstep_emulator.api.identity import user_record
from lockstep_emulator.api.sessions import store_for
from lockstep_emulator.org import MAX_API_VERSION, MIN_API_VERSION, Org

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
PARTNER = "urn:partner.soap.sforce.com"
_VERSION = re.compile(r"^(\d{2})\.0$")
_XML = "text/xml; charset=utf-8"
INVALID_LOGIN = "Invalid username, password, security token; or user locked out."


class SoapFault(Exception):
    """A fault reply: ``faultcode`` and, for Salesforce's own faults, an exception code."""

    def __init__(self, faultcode: str, message: str, exception_code: str | None = None) -> None:
        super().__init__(message)
        self.faultcode = faultcode
        self.message = message
        self.exception_code = exception_code

    def response(self) -> Response:
        detail = ""
        if self.exception_code:
            detail = (
                '<detail><sf:LoginFault xsi:type="sf:LoginFault">'
                f"<sf:exceptionCode>{self.exception_code}</sf:exceptionCode>"
                f"<sf:exceptionMessage>{escape(self.message)}</sf:exceptionMessage>"
                "</sf:LoginFault></detail>"
            )
        faultstring = (
            f"{self.exception_code}: {self.message}" if self.exception_code else self.message
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<soapenv:Envelope xmlns:soapenv="{SOAP11}" '
            'xmlns:sf="urn:fault.partner.soap.sforce.com" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<soapenv:Body><soapenv:Fault>"
            f"<faultcode>{escape(self.faultcode)}</faultcode>"
            f"<faultstring>{escape(faultstring)}</faultstring>{detail}"
            "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
        )
        return Response(body.encode(), 500, media_type=_XML)


@dataclass(frozen=True)
class LoginRequest:
    username: str
    password: str
    organization_id: str | None  # from LoginScopeHeader: the token may be left off


def routes(org: Org) -> list[Route]:
    async def endpoint(request: Request) -> Response:
        return await login(org, request)

    return [Route("/services/Soap/u/{version}", endpoint, methods=["POST"])]


async def login(org: Org, request: Request) -> Response:
    """Check the credentials and answer a ``loginResponse`` or a fault."""
    version = request.path_params["version"]
    try:
        match = _VERSION.match(version)
        if match is None or not MIN_API_VERSION <= int(match.group(1)) <= MAX_API_VERSION:
            raise SoapFault(
                "sf:UNSUPPORTED_API_VERSION",
                "Invalid Api version specified on URL",
                "UNSUPPORTED_API_VERSION",
            )
        req = parse_login(await request.body())
        if not _credentials_ok(org, req):
            raise SoapFault("sf:INVALID_LOGIN", INVALID_LOGIN, "INVALID_LOGIN")
    except SoapFault as fault:
        return fault.response()
    session = await run_in_threadpool(store_for(org).issue)
    user = await run_in_threadpool(user_record, org)
    base = credentials.instance_url(request)
    return Response(
        _login_response(org, base, version, session.token, user).encode(), 200, media_type=_XML
    )


def _credentials_ok(org: Org, req: LoginRequest) -> bool:
    if req.organization_id is None:
        return credentials.login_ok(org, req.username, req.password)
    try:
        scoped = ids.to18(req.organization_id) == ids.to18(org.org_id)
    except ValueError:
        return False
    return scoped and credentials.login_ok(org, req.username, req.password, token_required=False)


def _login_response(org: Org, base: str, version: str, token: str, user: dict[str, object]) -> str:
    org15 = org.org_id[:15]
    seconds = int(org.settings.token_ttl.total_seconds())

    def text(value: object) -> str:
        return escape("" if value is None else str(value))

    info = {
        "accessibilityMode": "false",
        "currencySymbol": "$",
        "orgAttachmentFileSizeLimit": "5242880",
        "orgDefaultCurrencyIsoCode": "USD",
        "orgDisallowHtmlAttachments": "false",
        "orgHasPersonAccounts": "false",
        "organizationId": org.org_id,
        "organizationMultiCurrency": "false",
        "organizationName": org.settings.org_name,
        "profileId": "00e000000000000AAA",
        "sessionSecondsValid": str(seconds),
        "userEmail": user.get("Email"),
        "userFullName": user.get("Name"),
        "userId": org.user_id,
        "userLanguage": user.get("LanguageLocaleKey") or "en_US",
        "userLocale": user.get("LocaleSidKey") or "en_US",
        "userName": org.settings.credentials.username,
        "userTimeZone": user.get("TimeZoneSidKey") or "GMT",
        "userType": "Standard",
        "userUiSkin": "Theme3",
    }
    user_info = "".join(f"<{k}>{text(v)}</{k}>" for k, v in info.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP11}" xmlns="{PARTNER}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<soapenv:Body><loginResponse><result>"
        f"<metadataServerUrl>{text(base)}/services/Soap/m/{version}/{org15}</metadataServerUrl>"
        "<passwordExpired>false</passwordExpired>"
        f"<sandbox>{'true' if org.is_sandbox else 'false'}</sandbox>"
        f"<serverUrl>{text(base)}/services/Soap/u/{version}/{org15}</serverUrl>"
        f"<sessionId>{text(token)}</sessionId>"
        f"<userId>{org.user_id}</userId>"
        f"<userInfo>{user_info}</userInfo>"
        "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )


# -- parsing --------------------------------------------------------------------------------


@dataclass
class _Element:
    tag: str  # "{namespace}local"
    children: list[_Element] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    @property
    def local(self) -> str:
        return self.tag.rpartition("}")[2]

    def child(self, local: str) -> _Element | None:
        return next((c for c in self.children if c.local == local), None)

    def value(self) -> str:
        return "".join(self.text)


class _Refused(Exception):
    pass


def parse_login(body: bytes) -> LoginRequest:
    """The credentials of a partner ``login`` envelope, or a ``soapenv:Client`` fault."""
    root = _parse(body)
    if root.tag not in (f"{{{SOAP11}}}Envelope", f"{{{SOAP12}}}Envelope"):
        raise SoapFault("soapenv:VersionMismatch", "Wrong SOAP envelope namespace or element")
    namespace = root.tag[1:].partition("}")[0]
    soap_body = next((c for c in root.children if c.tag == f"{{{namespace}}}Body"), None)
    operation = soap_body.children[0] if soap_body and soap_body.children else None
    if operation is None:
        raise SoapFault("soapenv:Client", "The SOAP Body holds no operation")
    if operation.tag != f"{{{PARTNER}}}login":
        raise SoapFault(
            "soapenv:Client",
            f"No operation available for request {operation.tag}, please check the WSDL "
            "for the service.",
        )
    username, password = operation.child("username"), operation.child("password")
    if username is None or password is None:
        raise SoapFault("soapenv:Client", "login needs a username and a password")
    header = next((c for c in root.children if c.tag == f"{{{namespace}}}Header"), None)
    scope = header.child("LoginScopeHeader") if header else None
    org_id = scope.child("organizationId") if scope else None
    return LoginRequest(
        username.value().strip(),
        password.value(),
        org_id.value().strip() if org_id is not None else None,
    )


def _parse(body: bytes) -> _Element:
    parser = expat.ParserCreate(namespace_separator="}")
    stack: list[_Element] = []
    roots: list[_Element] = []

    def start(name: str, _attrs: dict[str, str]) -> None:
        element = _Element("{" + name if "}" in name else name)
        (stack[-1].children if stack else roots).append(element)
        stack.append(element)

    def end(_name: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            stack[-1].text.append(data)

    def refuse(*_args: object) -> None:
        raise _Refused("DOCTYPE is not allowed in a SOAP message")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise SoapFault("soapenv:Client", f"Malformed XML: {exc}") from None
    except _Refused as exc:
        raise SoapFault("soapenv:Client", str(exc)) from None
    if not roots:
        raise SoapFault("soapenv:Client", "Premature end of file.")
    return roots[0]
