"""Static reference tables used by the detectors and fake generators.

Facts only (suffix lists, IBAN lengths, well-known public identifiers); sources
are named beside each table.
"""

from __future__ import annotations

# Top-level domains accepted for a bare HOSTNAME (outside URLs and emails). A curated
# subset of the IANA root zone: generic and country TLDs that appear in enterprise
# text, minus TLDs that are common file extensions (py, sh, md, rs, pl, so, zip, mov...),
# plus private suffixes used on internal networks.
PUBLIC_TLDS: frozenset[str] = frozenset(
    ["com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "io", "ai", "co", "dev", "app", "cloud", "tech", "online", "site", "store", "shop", "blog", "news", "live", "tv", "me", "us", "uk", "de", "fr", "es", "it", "nl", "be", "ch", "at", "se", "no", "dk", "fi", "ie", "pt", "pl", "cz", "sk", "hu", "ro", "bg", "gr", "tr", "ru", "ua", "by", "kz", "il", "ae", "sa", "qa", "in", "cn", "jp", "kr", "tw", "hk", "sg", "my", "id", "th", "vn", "ph", "au", "nz", "ca", "mx", "br", "ar", "cl", "pe", "za", "ng", "ke", "eg", "ma", "lu", "li", "is", "ee", "lv", "lt", "si", "hr", "rs", "ba", "mk", "al", "gi", "mt", "cy", "eu", "asia", "global", "group", "company", "solutions", "services", "systems", "digital", "agency", "consulting", "microsoft", "azure", "windows", "office", "xbox", "bing", "google", "amazon", "aws", "apple"]
)
# Country TLDs that are also common file extensions: a two-label name under them is a file.
AMBIGUOUS_TLDS: frozenset[str] = frozenset(("pl", "rs", "ai", "sh", "md", "py", "so", "cc", "ps"))
INTERNAL_SUFFIXES: frozenset[str] = frozenset(
    ["local", "internal", "corp", "lan", "intranet", "intra", "home", "localdomain", "private", "priv", "ad", "domain", "test", "example", "invalid", "localhost", "onmicrosoft"]
)
# 2-level public suffixes under which the registrable name is the third label.
# (subset of the Public Suffix List, https://publicsuffix.org/)
SECOND_LEVEL_SUFFIXES: frozenset[str] = frozenset(
    ["co.uk", "org.uk", "ac.uk", "gov.uk", "ltd.uk", "plc.uk", "me.uk", "com.au", "net.au", "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "co.jp", "ne.jp", "or.jp", "co.kr", "co.in", "net.in", "org.in", "firm.in", "com.br", "net.br", "com.mx", "com.ar", "com.cn", "net.cn", "com.hk", "com.sg", "com.my", "co.za", "com.tr", "co.il", "com.tw", "gov.in"]
)

# Azure service host suffixes: the customer-chosen labels left of the suffix are
# pseudonymized, the suffix is kept. (Azure public-cloud DNS suffixes, learn.microsoft.com)
AZURE_HOST_SUFFIXES: tuple[str, ...] = tuple(
    sorted(  # longest first, so the most specific suffix matches
        ["blob.core.windows.net", "file.core.windows.net", "queue.core.windows.net", "table.core.windows.net", "dfs.core.windows.net", "web.core.windows.net", "vault.azure.net", "managedhsm.azure.net", "azurewebsites.net", "scm.azurewebsites.net", "database.windows.net", "servicebus.windows.net", "redis.cache.windows.net", "search.windows.net", "azurecr.io", "azure-api.net", "cloudapp.azure.com", "cloudapp.net", "documents.azure.com", "mongo.cosmos.azure.com", "postgres.database.azure.com", "mysql.database.azure.com", "mariadb.database.azure.com", "azuredatalakestore.net", "azurehdinsight.net", "azmk8s.io", "eventgrid.azure.net", "azconfig.io", "azurefd.net", "azureedge.net", "trafficmanager.net", "azurestaticapps.net", "openai.azure.com", "cognitiveservices.azure.com", "azure-devices.net", "service.signalr.net", "azuresynapse.net", "sql.azuresynapse.net", "dev.azuresynapse.net", "azurecontainerapps.io", "privatelink.blob.core.windows.net", "privatelink.database.windows.net", "onmicrosoft.com", "sharepoint.com"],
        key=len,
        reverse=True,
    )
)

# Public domains kept unchanged by default (``keep_public_domains``): service and
# documentation domains whose mention identifies nobody, and free-mail providers.
PUBLIC_DOMAINS: frozenset[str] = frozenset(
    ["microsoft.com", "azure.com", "windows.net", "azure.net", "windows.com", "live.com", "msn.com", "office.com", "office365.com", "microsoftonline.com", "visualstudio.com", "dev.azure.com", "azureedge.net", "core.windows.net", "management.azure.com", "portal.azure.com", "login.microsoftonline.com", "graph.microsoft.com", "learn.microsoft.com", "docs.microsoft.com", "aka.ms", "bing.com", "github.com", "githubusercontent.com", "gitlab.com", "bitbucket.org", "stackoverflow.com", "python.org", "pypi.org", "npmjs.com", "nuget.org", "docker.com", "docker.io", "kubernetes.io", "k8s.io", "openai.com", "google.com", "googleapis.com", "gstatic.com", "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "web.de", "amazon.com", "amazonaws.com", "aws.amazon.com", "cloudflare.com", "apple.com", "mozilla.org", "wikipedia.org", "w3.org", "ietf.org", "iana.org", "letsencrypt.org", "digicert.com", "ubuntu.com", "debian.org", "redhat.com", "centos.org", "oracle.com", "java.com", "apache.org", "nginx.org", "nginx.com", "localhost"]
)

# Values never replaced whatever detector fires: product and framework names that look
# like host names.
BUILTIN_ALLOW_VALUES: frozenset[str] = frozenset(
    v.lower() for v in ["ASP.NET", "ADO.NET", "VB.NET", "F#.NET", "Node.js", "Vue.js", "Next.js", "Express.js"]
)

# Well-known public GUIDs (not customer data): the nil GUID, Azure built-in role
# definitions and first-party application IDs (learn.microsoft.com).
WELL_KNOWN_GUIDS: frozenset[str] = frozenset(
    ["00000000-0000-0000-0000-000000000000", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c", "acdd72a7-3385-48ef-bd42-f606fba81ae7", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "1950a258-227b-4e31-a9cf-717495945fc2", "00000002-0000-0000-c000-000000000000", "00000003-0000-0000-c000-000000000000", "00000003-0000-0ff1-ce00-000000000000", "797f4846-ba00-4fd7-ba43-dac1f8f63013"]
)

# IBAN length per country (SWIFT IBAN Registry).
IBAN_LENGTHS: dict[str, int] = {
    k: int(v)
    for k, v in (
        item.split(":")
        for item in ["AD:24", "AE:23", "AL:28", "AT:20", "AZ:28", "BA:20", "BE:16", "BG:22", "BH:22", "BR:29", "BY:28", "CH:21", "CR:22", "CY:28", "CZ:24", "DE:22", "DK:18", "DO:28", "EE:20", "EG:29", "ES:24", "FI:18", "FO:18", "FR:27", "GB:22", "GE:22", "GI:23", "GL:18", "GR:27", "GT:28", "HR:21", "HU:28", "IE:22", "IL:23", "IQ:23", "IS:26", "IT:27", "JO:30", "KW:30", "KZ:20", "LB:28", "LC:32", "LI:21", "LT:20", "LU:20", "LV:21", "MC:27", "MD:24", "ME:22", "MK:19", "MR:27", "MT:31", "MU:30", "NL:18", "NO:15", "PK:24", "PL:28", "PS:29", "PT:25", "QA:29", "RO:24", "RS:22", "SA:24", "SC:31", "SE:24", "SI:19", "SK:24", "SM:27", "ST:25", "SV:28", "TL:23", "TN:24", "TR:26", "UA:29", "VA:22", "VG:24", "XK:20"]
    )
}

# Resource-ID name segments that are fixed words, not customer names.
AZURE_FIXED_NAMES: frozenset[str] = frozenset(
    ["default", "current", "web", "master", "main", "latest", "primary", "secondary", "self", "all", "appsettings", "connectionstrings", "logs", "metadata", "authsettings", "slotconfignames", "active", "production"]
)

# Azure region names (a location, not a customer name).
AZURE_REGIONS: frozenset[str] = frozenset(
    ["eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus", "southcentralus", "westcentralus", "canadacentral", "canadaeast", "brazilsouth", "brazilsoutheast", "northeurope", "westeurope", "uksouth", "ukwest", "francecentral", "francesouth", "germanywestcentral", "germanynorth", "switzerlandnorth", "switzerlandwest", "norwayeast", "norwaywest", "swedencentral", "polandcentral", "italynorth", "spaincentral", "australiaeast", "australiasoutheast", "australiacentral", "australiacentral2", "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "koreasouth", "centralindia", "southindia", "westindia", "uaenorth", "uaecentral", "southafricanorth", "southafricawest", "qatarcentral", "israelcentral", "mexicocentral", "newzealandnorth"]
)

# Host-name label tokens that are generic infrastructure words and identify nobody.
GENERIC_LABEL_WORDS: frozenset[str] = frozenset(
    ["www", "api", "app", "apps", "web", "mail", "smtp", "imap", "pop", "mx", "ns", "dns", "vpn", "gw", "gateway", "proxy", "lb", "edge", "cdn", "static", "assets", "img", "images", "files", "ftp", "sftp", "git", "repo", "ci", "build", "dev", "test", "qa", "uat", "stage", "stg", "staging", "prod", "production", "prd", "preprod", "sandbox", "demo", "int", "lab", "dr", "bak", "backup", "db", "sql", "mysql", "pgsql", "postgres", "redis", "cache", "kv", "vault", "key", "keys", "storage", "blob", "file", "queue", "table", "bus", "hub", "vm", "vms", "host", "node", "nodes", "srv", "server", "svc", "service", "services", "worker", "jump", "bastion", "admin", "portal", "login", "auth", "sso", "id", "idp", "adfs", "ldap", "dc", "ad", "exchange", "owa", "teams", "sp", "share", "intranet", "extranet", "internal", "external", "public", "private", "corp", "local", "net", "lan", "wan", "dmz", "mgmt", "monitor", "log", "logs", "metrics", "grafana", "prometheus", "kibana", "elastic", "es", "k8s", "aks", "cluster", "pool", "rg", "east", "west", "north", "south", "central", "eu", "us", "uk", "asia", "emea", "apac", "amer", "eastus", "westus", "westeurope", "northeurope", "eastus2", "westus2", "centralus", "primary", "secondary", "blue", "green", "red", "data", "ml", "ai", "analytics", "report", "reports", "dashboard", "app1", "app2", "web1", "web2", "sql1", "sql2", "a", "b", "c", "d", "e", "f", "privatelink"]
)
