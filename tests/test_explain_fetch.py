"""`newswatch explain URL` fetches like the crawler guards: the address checked is the address used.

The "internet" here is made up: ``socket.getaddrinfo`` answers made-up names from a script (a
rebinding DNS server: a public address first, 127.0.0.1 after), and ``socket.create_connection``
reaches a public address only when the test routes it to a local server. Servers run in a thread
of this process; nothing leaves the machine.
"""
from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from crawler.cli import main
from tests.shared_data import PROJECT_ROOT

ARTICLE = (PROJECT_ROOT / "tests" / "site" / "en" / "druzhba-exercise.html").read_text(encoding="utf-8")


class Site:
    """An HTTP server on 127.0.0.1 in a thread. A route is (status, headers, body) or a callable
    taking the handler; every request is logged as (path, headers)."""

    def __init__(self, routes: dict):
        self.routes, self.requests = routes, []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                site.requests.append((self.path, dict(self.headers)))
                route = site.routes.get(self.path, (404, {}, b""))
                if callable(route):
                    return route(self)
                status, headers, body = route
                body = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def __enter__(self) -> "Site":
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


class Internet:
    """Scripted DNS (``dns[name]``: one address per lookup, the last one repeats) and routes
    (``route[public address]`` is served by the local server on the same port)."""

    def __init__(self):
        self.dns: dict[str, list[str]] = {}
        self.route: dict[str, str] = {}
        self.lookups: list[tuple[str, str]] = []
        self.connections: list[str] = []


@pytest.fixture
def internet(monkeypatch) -> Internet:
    net = Internet()
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection

    def getaddrinfo(host, port, *args, **kwargs):
        if host in net.dns:
            answers = net.dns[host]
            address = answers.pop(0) if len(answers) > 1 else answers[0]
            net.lookups.append((host, address))
            return real_getaddrinfo(address, port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    def create_connection(address, *args, **kwargs):
        host, port = address[:2]
        ip = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0]  # as the real one does
        net.connections.append(ip)
        if ip == "127.0.0.1" or ip in net.route:
            return real_connect((net.route.get(ip, ip), port), *args, **kwargs)
        raise ConnectionRefusedError(111, "Connection refused")  # nothing there

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return net


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('explain')}/x.db"  # one store, migrated once


@pytest.fixture
def tmp_path(tmp_path, database):  # every test's config points at the shared store
    (tmp_path / "database-url").write_text(database)
    return tmp_path


def explain(tmp_path, url: str, **crawl) -> tuple[int, str]:
    config = tmp_path / "newswatch.toml"
    lines = [f'[database]\nurl = "{(tmp_path / "database-url").read_text()}"\n[crawl]']
    lines += [f"{key} = {value!r}".replace("'", '"') if isinstance(value, str) else f"{key} = {str(value).lower()}"
              for key, value in crawl.items()]
    config.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["--config", str(config), "explain", url], catch_exceptions=False)
    return result.exit_code, result.output


def one_line_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: cannot read ") and "Traceback" not in output, output
    return lines[0]


# ---- DNS rebinding ------------------------------------------------------------------------------

def test_explain_connects_to_the_address_it_checked(tmp_path, internet):
    with Site({"/secret": (200, {"Content-Type": "text/html"}, ARTICLE)}) as loopback:
        internet.dns["news.example"] = ["93.184.216.34", "127.0.0.1"]  # public to the check, then loopback
        code, output = explain(tmp_path, f"http://news.example:{loopback.port}/secret")
        assert loopback.requests == []
    assert code == 1 and one_line_error(output).endswith(": connection refused")
    assert internet.lookups == [("news.example", "93.184.216.34")]  # one lookup, and that address used
    assert internet.connections == ["93.184.216.34"]


def test_every_redirect_hop_connects_to_the_address_it_checked(tmp_path, internet):
    with Site({"/secret": (200, {"Content-Type": "text/html"}, ARTICLE)}) as loopback:
        with Site({}) as public:
            public.routes["/start"] = (302, {"Location": f"http://news.example:{loopback.port}/secret"}, "")
            internet.dns["public.example"] = ["93.184.216.34"]
            internet.route["93.184.216.34"] = "127.0.0.1"  # the public site, served locally
            internet.dns["news.example"] = ["93.184.216.35", "127.0.0.1"]
            code, output = explain(tmp_path, f"http://public.example:{public.port}/start")
            assert public.paths() == ["/start"]
        assert loopback.requests == []
    assert code == 1 and "connection refused (redirect to http://news.example:" in one_line_error(output)
    assert internet.connections == ["93.184.216.34", "93.184.216.35"]


def test_a_public_page_is_fetched_with_the_name_in_the_host_header_and_the_user_agent(tmp_path, internet):
    with Site({"/start": (302, {"Location": "/story"}, ""),
               "/story": (200, {"Content-Type": "text/html; charset=utf-8"}, ARTICLE)}) as public:
        internet.dns["public.example"] = ["93.184.216.34"]
        internet.route["93.184.216.34"] = "127.0.0.1"
        code, output = explain(tmp_path, f"http://public.example:{public.port}/start", user_agent="test-agent/1.0")
        assert code == 0 and "FIRED" in output, output
        assert public.paths() == ["/start", "/story"]
        assert all(h["Host"] == f"public.example:{public.port}" and h["User-Agent"] == "test-agent/1.0"
                   for _, h in public.requests)


# ---- refused in one line: special-purpose addresses and malformed URLs ---------------------------

REFUSED = {
    "http://192.0.0.192/latest/meta-data/": "refused by netguard: 192.0.0.192 is a cloud metadata address",
    "http://[64:ff9b:1::c000:c0]/": "64:ff9b:1::c000:c0 is a special-purpose (local-use NAT64) address",
    "http://198.18.0.1/": "198.18.0.1 is a benchmarking address",
    "http://a@127.0.0.1:80@example.com/": "refused by netguard: user name or password in the URL",
    "http://example.com:99999/": "refused by netguard: not a valid URL (Port out of range 0-65535)",
    "http://example.com:0/": "refused by netguard: not a valid URL (port 0)",
    "http://" + "a" * 64 + ".example.com/": "is not a valid host name",
    "http://exa mple.com/": "refused by netguard: 'exa mple.com' is not a valid host name",
    "http://[::1": "refused by netguard: not a valid URL (Invalid IPv6 URL)",
    "http:///path": "refused by netguard: no host in the URL",
}


@pytest.mark.parametrize("url", list(REFUSED))
def test_special_purpose_and_malformed_urls_are_one_line_refusals(tmp_path, internet, url):
    code, output = explain(tmp_path, url)
    assert code == 1 and REFUSED[url] in one_line_error(output)
    assert internet.connections == []


@pytest.mark.parametrize("location", ["http://192.0.0.192/latest/meta-data/", "http://example.com:99999/",
                                      "http://[::1", "http://a@127.0.0.1:80@example.com/", "file:///etc/passwd"])
def test_a_redirect_to_a_refused_url_is_one_line(tmp_path, internet, location):
    with Site({"/start": (302, {"Location": location}, "")}) as public:
        internet.dns["public.example"] = ["93.184.216.34"]
        internet.route["93.184.216.34"] = "127.0.0.1"
        code, output = explain(tmp_path, f"http://public.example:{public.port}/start")
    line = one_line_error(output)
    assert code == 1 and "refused by netguard: " in line and "redirect to " in line, line
    assert internet.connections == ["93.184.216.34"]


# ---- the crawler's limits --------------------------------------------------------------------------

def test_redirects_stop_at_the_limit(tmp_path):
    routes = {f"/r{i}": (302, {"Location": f"/r{i + 1}"}, "") for i in range(10)}
    with Site(routes) as site:
        code, output = explain(tmp_path, f"http://127.0.0.1:{site.port}/r0", allow_private_networks=True,
                               max_redirects=3)
        assert site.paths() == ["/r0", "/r1", "/r2", "/r3"]
    assert code == 1 and one_line_error(output).endswith("more than 3 redirects (crawl.max_redirects)")


def test_bodies_over_the_size_cap_and_cut_short_are_refused(tmp_path):
    routes = {"/big": (200, {"Content-Type": "text/html"}, "x" * 5000),
              "/short": (200, {"Content-Type": "text/html", "Content-Length": "99999"}, ARTICLE)}
    with Site(routes) as site:
        code, output = explain(tmp_path, f"http://127.0.0.1:{site.port}/big", allow_private_networks=True,
                               max_response_bytes=4096)
        assert code == 1 and one_line_error(output).endswith("larger than crawl.max_response_bytes (4096 bytes)")
        code, output = explain(tmp_path, f"http://127.0.0.1:{site.port}/short", allow_private_networks=True)
        assert code == 1 and one_line_error(output).endswith("connection lost mid-response")


def test_a_byte_a_second_server_is_cut_at_the_download_timeout(tmp_path):
    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        for _ in range(600):  # a minute of trickling, unless the client hangs up
            try:
                handler.wfile.write(b"x")
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(0.1)

    with Site({"/slow": trickle}) as site:
        started = time.monotonic()
        code, output = explain(tmp_path, f"http://127.0.0.1:{site.port}/slow", allow_private_networks=True,
                               download_timeout=1)
        elapsed = time.monotonic() - started
    assert code == 1 and one_line_error(output).endswith(": timeout")
    assert elapsed < 30, elapsed  # the server would trickle for a minute


def test_tls_is_verified_against_the_name_not_the_address(tmp_path, internet, monkeypatch):
    import ssl

    from tests.hostile_server import make_self_signed_certificate

    cert, key = make_self_signed_certificate(tmp_path)  # for "localhost" and 127.0.0.1
    with Site({"/story": (200, {"Content-Type": "text/html"}, ARTICLE)}) as site:
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(cert, key)
        site.server.socket = server_context.wrap_socket(site.server.socket, server_side=True)
        code, output = explain(tmp_path, f"https://localhost:{site.port}/story", allow_private_networks=True)
        assert code == 1 and "TLS certificate not trusted" in one_line_error(output)

        def trusting():
            context = ssl.create_default_context()
            context.load_verify_locations(cert)
            return context

        monkeypatch.setattr("crawler.explain_input._tls_context", trusting)
        code, output = explain(tmp_path, f"https://localhost:{site.port}/story", allow_private_networks=True)
        assert code == 0 and "FIRED" in output, output
        internet.dns["news.example"] = ["127.0.0.1"]  # same address, a name the certificate does not hold
        code, output = explain(tmp_path, f"https://news.example:{site.port}/story", allow_private_networks=True)
        assert code == 1 and "TLS certificate not trusted (Hostname mismatch" in one_line_error(output)
