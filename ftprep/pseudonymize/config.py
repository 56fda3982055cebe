"""Policy options of the pseudonymize stage (the ``[pseudonymize]`` table of ``ftprep.toml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..errors import ConfigError

ENTITY_TYPES: tuple[str, ...] = (
    "EMAIL", "PHONE", "IPV4", "IPV6", "MAC", "URL", "HOSTNAME", "GUID", "AZURE_RESOURCE_ID",
    "CREDIT_CARD", "IBAN", "US_SSN", "PERSON", "ORGANIZATION", "SECRET",
)

DEFAULT_PERSON_KEYS: tuple[str, ...] = (
    "name", "full_name", "fullname", "display_name", "displayname", "customer", "customer_name",
    "contact", "contact_name", "owner", "owner_name", "user", "user_name", "username",
    "requester", "requested_by", "assignee", "assigned_to", "reporter", "created_by",
    "modified_by", "approver", "manager", "employee", "first_name", "firstname", "given_name",
    "givenname", "last_name", "lastname", "surname", "family_name", "person", "author",
    "engineer", "agent", "technician", "submitted_by", "caller",
)
DEFAULT_ORG_KEYS: tuple[str, ...] = (
    "company", "company_name", "organization", "organisation", "organization_name", "org",
    "org_name", "tenant_name", "tenantname", "customer_company", "employer",
    "client_company", "vendor", "partner", "business_name", "legal_name",
)
DEFAULT_SECRET_KEYS: tuple[str, ...] = (
    "password", "passwd", "pwd", "secret", "client_secret", "api_key", "apikey", "access_key",
    "access_token", "refresh_token", "id_token", "token", "auth_token", "private_key",
    "connection_string", "connectionstring", "account_key", "accountkey", "sas_token",
    "shared_access_key", "authorization",
)


def _tuple_of_str(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"[pseudonymize] {name} must be a list of strings")


@dataclass(frozen=True)
class PseudonymizeConfig:
    """Every policy option, with defaults an enterprise privacy reviewer can sign off on.

    The dataclass is frozen and hashable so it can key caches and travel to worker processes.
    """

    #: entity types to detect and replace (default: all of :data:`ENTITY_TYPES`)
    entities: tuple[str, ...] = ENTITY_TYPES
    #: region used to read phone numbers written without a ``+country`` prefix
    default_region: str = "US"
    #: keep loopback, link-local, documentation, unspecified and multicast IPs unchanged
    keep_special_ips: bool = True
    #: keep well-known public domains (microsoft.com, github.com, gmail.com, example.com, ...)
    keep_public_domains: bool = True
    #: extra domains never replaced (e.g. your own public domains); subdomains included
    keep_domains: tuple[str, ...] = ()
    #: exact values never replaced (case-insensitive)
    allow_values: tuple[str, ...] = ()
    #: regular expressions; a detected value fully matching one is never replaced
    allow_patterns: tuple[str, ...] = ()
    #: exact values always replaced, wherever they appear (case-insensitive), as ORGANIZATION
    deny_values: tuple[str, ...] = ()
    #: known people (always detected as PERSON, wherever they appear)
    person_names: tuple[str, ...] = ()
    #: known companies (always detected as ORGANIZATION, wherever they appear)
    organization_names: tuple[str, ...] = ()
    #: CSV/TXT files of known names: TXT one name a line (PERSON); CSV with a header naming
    #: columns such as name/first_name/last_name (PERSON) and company/organization (ORGANIZATION)
    name_list_files: tuple[str, ...] = ()
    #: JSON and ``Key: value`` keys whose values are people / companies / secrets
    person_keys: tuple[str, ...] = DEFAULT_PERSON_KEYS
    organization_keys: tuple[str, ...] = DEFAULT_ORG_KEYS
    secret_keys: tuple[str, ...] = DEFAULT_SECRET_KEYS
    #: find names after salutations (Hi, Dear, Thanks) and in signatures (Regards,\nName)
    detect_context_names: bool = True
    #: pseudonymize JSON found inside strings (tool-call arguments) by value
    embedded_json: bool = True
    #: the fixed marker that replaces every secret
    secret_marker: str = "[REDACTED]"
    #: a dotted quad right after "v", "version", "build", ... is a version, not an IP
    version_context: bool = True
    #: originals shorter than this are not searched by the leak check (too many false hits)
    leak_min_length: int = 4
    #: bound of the per-process fake cache (entries)
    cache_size: int = 10_000  # per cache and process: ~20 MB of a stream worker's memory
    #: optional NER plug-in, "module:factory" (see ftprep.pseudonymize.ner)
    ner_plugin: str | None = None

    def __post_init__(self) -> None:
        unknown = [e for e in self.entities if e not in ENTITY_TYPES]
        if unknown:
            raise ConfigError(f"[pseudonymize] entities: unknown entity type(s) {', '.join(unknown)}")
        if len(self.default_region) != 2 or not self.default_region.isalpha():
            raise ConfigError("[pseudonymize] default_region must be a two-letter region code")
        if not self.secret_marker or any(c in self.secret_marker for c in '"\\\n'):
            raise ConfigError("[pseudonymize] secret_marker must be non-empty, without quotes, backslashes or newlines")
        if self.leak_min_length < 1 or self.cache_size < 16:
            raise ConfigError("[pseudonymize] leak_min_length must be >= 1 and cache_size >= 16")
        import re

        for pat in self.allow_patterns:
            try:
                re.compile(pat)
            except re.error as exc:
                raise ConfigError(f"[pseudonymize] allow_patterns: invalid regex ({exc.msg})") from None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (tuples become lists)."""
        out = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PseudonymizeConfig:
        """Build from a mapping (e.g. the TOML table); unknown keys raise ConfigError."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            if name not in known:
                raise ConfigError(f"[pseudonymize] unknown key {name!r}")
            default = known[name].default
            if isinstance(default, tuple):
                kwargs[name] = _tuple_of_str(name, value)
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ConfigError(f"[pseudonymize] {name} must be true or false")
                kwargs[name] = value
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ConfigError(f"[pseudonymize] {name} must be an integer")
                kwargs[name] = value
            elif name == "ner_plugin":
                if value is not None and not isinstance(value, str):
                    raise ConfigError("[pseudonymize] ner_plugin must be a string 'module:factory'")
                kwargs[name] = value
            else:
                if not isinstance(value, str):
                    raise ConfigError(f"[pseudonymize] {name} must be a string")
                kwargs[name] = value
        if "entities" in kwargs:
            kwargs["entities"] = tuple(e.upper() for e in kwargs["entities"])
        if "default_region" in kwargs:
            kwargs["default_region"] = kwargs["default_region"].upper()
        return cls(**kwargs)
