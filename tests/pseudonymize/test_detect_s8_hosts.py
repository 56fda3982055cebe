"""Hosts in connection-string URLs (sb://, amqps://, jdbc:sqlserver://, smb://, mysql://, ...),
UNC paths and ``tcp:`` server names are detected like other host positions (audit repro_9)."""

from __future__ import annotations

import pytest

from ftprep.pseudonymize import PseudonymizeConfig, Pseudonymizer
from ftprep.pseudonymize.detect import Detector

DET = Detector(PseudonymizeConfig())
KEY = b"ftprep-s8-test-key-0123456789abcdef"


def found(text: str) -> list[tuple[str, str]]:
    return [(s.etype, text[s.start : s.end]) for s in DET.spans(text) if not s.keep]


@pytest.mark.parametrize(("text", "url"), [
    ("amqps://ns-contoso-orders.servicebus.windows.net:5671 up", "amqps://ns-contoso-orders.servicebus.windows.net:5671"),
    ("amqp://broker.contoso.com/vhost", "amqp://broker.contoso.com/vhost"),
    ("jdbc:sqlserver://sqlcontoso01.database.windows.net:1433;database=orders",
     "sqlserver://sqlcontoso01.database.windows.net:1433"),
    ("smb://stcontoso01.file.core.windows.net/share", "smb://stcontoso01.file.core.windows.net/share"),
    ("mysql://db.contoso-internal.corp:3306/app", "mysql://db.contoso-internal.corp:3306/app"),
    ("jdbc:mysql://db.contoso.com/app", "mysql://db.contoso.com/app"),
    ("postgres://pg.contoso.com/db", "postgres://pg.contoso.com/db"),
    ("postgresql://app@pg.contoso.com:5432/db", "postgresql://app@pg.contoso.com:5432/db"),
    ("mongodb://m1.contoso.com:27017/db", "mongodb://m1.contoso.com:27017/db"),
    ("mongodb+srv://u:pw@cluster0.abcde.mongodb.net/db", "mongodb+srv://u:pw@cluster0.abcde.mongodb.net/db"),
    ("redis://cache.contoso.com:6379", "redis://cache.contoso.com:6379"),
    ("rediss://:k@c1.redis.cache.windows.net:6380", "rediss://:k@c1.redis.cache.windows.net:6380"),
    ("ftp://files.contoso.com/a", "ftp://files.contoso.com/a"),
    ("sftp://files.contoso.com/a", "sftp://files.contoso.com/a"),
    ("ssh://git@ssh.contoso.com/v3/x", "ssh://git@ssh.contoso.com/v3/x"),
])
def test_scheme_urls(text: str, url: str) -> None:
    assert ("URL", url) in found(text)


@pytest.mark.parametrize(("text", "host"), [
    ("net use Z: \\\\stcontoso01.file.core.windows.net\\share", "stcontoso01.file.core.windows.net"),
    ("\\\\fs01.corp.contoso.com\\public", "fs01.corp.contoso.com"),
    ('"\\\\\\\\fs01.corp.contoso.com\\\\share"', "fs01.corp.contoso.com"),  # escaped once more
    ("Server=tcp:sqlsrv1.database.windows.net,1433;", "sqlsrv1.database.windows.net"),
    ("Data Source=TCP:sqlsrv1.database.windows.net", "sqlsrv1.database.windows.net"),
])
def test_unc_and_tcp_hosts(text: str, host: str) -> None:
    assert found(text) == [("HOSTNAME", host)]


@pytest.mark.parametrize("text", [
    "xsmb://a.contoso.com/x",  # another scheme
    "mysqlx://a.contoso.com/x",
    "see C:\\\\nfoo.com",  # an escape after a drive letter
    "a\\nfoo.com",  # a single escaping backslash
    "x\\\\nfoo.com",  # glued to a word
    "ftcp:a.contoso.com",
    "http:a.contoso.com",
])
def test_near_misses(text: str) -> None:
    assert found(text) == []


def test_sql_login_server_name() -> None:
    text = "jdbc:sqlserver://sqlcontoso01.database.windows.net:1433;database=orders;user=app@sqlcontoso01"
    assert found(text)[-1] == ("AZURE_RESOURCE_ID", "sqlcontoso01")
    assert found("User ID=admin@sqlsrv01;Password=abc123;")[0] == ("AZURE_RESOURCE_ID", "sqlsrv01")
    assert found("uid=a@b.com; user=jane") == [("EMAIL", "a@b.com")]


def test_connection_string_url_stops_at_semicolon() -> None:
    text = "Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=abcdefghijkl="
    assert found(text)[0] == ("URL", "sb://ns1.servicebus.windows.net/")
    # a web URL keeps its ";" (unchanged behaviour)
    assert found("https://contoso.com/a;b=1")[0] == ("URL", "https://contoso.com/a;b=1")


def test_same_fake_host_in_every_position() -> None:
    p = Pseudonymizer(KEY)
    host = "sqlcontoso01.database.windows.net"
    fake = p.transform_text(f"host {host}").value.split()[-1]
    for text in (f"jdbc:sqlserver://{host}:1433;database=orders;user=app@sqlcontoso01",
                 f"net use Z: \\\\{host}\\share", f"smb://{host}/share", f"Server=tcp:{host},1433"):
        out = p.transform_text(text).value
        assert fake in out and "sqlcontoso01" not in out, out
