"""deploy/: the compose file, the gateway routes and the image agree with each other and with
the code, checked without a Docker engine."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from kurrentdbclient.connection_spec import ConnectionSpec

from tests.eventstore import kurrentdb_container

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
GATEWAY = DEPLOY / "gateway.conf"
DOCKERFILE = DEPLOY / "Dockerfile"

# Who owns which resource (resources never overlap between services).
ROUTES = {
    "/v1/members": "contracts",
    "/v1/clients": "contracts",
    "/v1/prestations": "contracts",
    "/v1/quotes": "contracts",
    "/v1/employment-contracts": "contracts",
    "/v1/dimona-declarations": "contracts",
    "/v1/invoices": "billing",
    "/v1/payments": "billing",
    "/v1/bank-statements": "billing",
    "/v1/credit-notes": "billing",
    "/v1/receivables": "billing",
    "/v1/salaries": "payroll",
    "/v1/payroll": "payroll",
    "/v1/payment-runs": "guarantee_fund",
    "/v1/guarantee-fund": "guarantee_fund",
    "/v1/share-purchases": "governance",
    "/v1/shareholders": "governance",
    "/v1/assemblies": "governance",
    "/v1/elections": "governance",
    "/v1/share-register": "governance",
    "/v1/active-members": "governance",
    "/v1/board": "governance",
    "/v1/api-keys": "platform",
    "/v1/ops": "platform",
    "/v1/events": "integration",
    "/v1/events/stream": "integration",  # its own location: unbuffered
    "/v1/streams": "integration",
    "/v1/webhooks": "integration",
    "/v1/erasure-requests": "privacy",
}
# Resources of one service under another's prefix, as nginx regex locations (a regex location
# wins over the longest prefix one, unless that prefix says `^~`).
REGEX_ROUTES = {
    r"^/v1/members/[^/]+/(erasure-requests|personal-data)$": "privacy",
    r"^/v1/clients/[^/]+/erasure-requests$": "privacy",
}
# Where the gateway must send these paths, whichever kind of location takes them.
PATHS = {
    "/v1/members": "contracts",
    "/v1/members/0123abcd": "contracts",
    "/v1/members/0123abcd/erasure-requests": "privacy",
    "/v1/members/0123abcd/personal-data": "privacy",
    "/v1/members/0123abcd/erasure-requests/more": "contracts",
    "/v1/erasure-requests": "privacy",
    "/v1/clients/0123abcd": "contracts",
    "/v1/clients/0123abcd/erasure-requests": "privacy",
    "/v1/clients/0123abcd/members": "contracts",
    "/v1/events/stream": "integration",
}
FIRST_MULTI_APPEND_RELEASE = (25, 1)
# 25.1.1 fixed multi-stream append data bugs, 25.1.3 a cluster-join bug (issue 15).
MINIMUM_KURRENTDB_RELEASE = (25, 1, 4)
LEADER_GATE = "cluster-leader"  # the compose service that is healthy once a leader is elected


# --- reading the files ---------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def services() -> dict[str, dict[str, Any]]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whichever of the two compose forms it uses."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {key: "" if value is None else str(value) for key, value in raw.items()}


def kurrentdb_nodes() -> dict[str, dict[str, Any]]:
    """The cluster's nodes: the KurrentDB image running its own entrypoint (the leader gate
    borrows the image for its curl and runs something else)."""
    return {
        name: service
        for name, service in services().items()
        if "kurrentdb" in str(service.get("image", "")).split("/")[-1]
        and "entrypoint" not in service
    }


def service_containers() -> dict[str, dict[str, Any]]:
    """Containers built from our image, i.e. the services."""
    return {name: service for name, service in services().items() if "build" in service}


def host_of(address: str) -> str:
    return address.rsplit(":", 1)[0]


def gateway_text() -> str:
    """gateway.conf without its comments (no quoted string in it holds a `#`)."""
    return re.sub(r"#[^\n]*", "", GATEWAY.read_text())


def gateway_backends() -> dict[str, str]:
    """backend variable (without `$`) → the URL set in it (`set $contracts http://...;`)."""
    text = gateway_text()
    return dict(re.findall(r"^\s*set\s+\$(\w+)\s+([^\s;]+)\s*;", text, re.MULTILINE))


def gateway_proxy_passes() -> list[str]:
    """The argument of every proxy_pass, wherever it stands."""
    return re.findall(r"\bproxy_pass\s+([^;]+?)\s*;", gateway_text())


def gateway_locations() -> dict[str, str | None]:
    """location prefix → the backend variable it proxies to (None when it answers by itself)."""
    text = gateway_text()
    found: dict[str, str | None] = {}
    for prefix, body in re.findall(r"location\s+(?:\^~\s+)?(\S+)\s*\{(.*?)\}", text, re.DOTALL):
        assert prefix not in found, f"location {prefix} defined twice"
        target = re.search(r"proxy_pass\s+\$(\w+)\s*;", body)
        found[prefix] = target.group(1) if target else None
    return found


def gateway_regex_locations() -> dict[str, str | None]:
    """regex (of `location ~ …`) → the backend variable it proxies to."""
    found: dict[str, str | None] = {}
    for pattern, body in re.findall(r"location\s+~\s+(\S+)\s*\{(.*?)\}", gateway_text(), re.DOTALL):
        assert pattern not in found, f"location ~ {pattern} defined twice"
        target = re.search(r"proxy_pass\s+\$(\w+)\s*;", body)
        found[pattern] = target.group(1) if target else None
    return found


def routed_to(path: str) -> str | None:
    """The backend variable nginx picks for `path`: the longest matching prefix location if it
    says `^~`, else the first matching regex location, else that longest prefix."""
    text = gateway_text()
    prefixes = re.findall(r"location\s+(\^~\s+)?(/\S*)\s*\{(.*?)\}", text, re.DOTALL)
    matching = [(len(prefix), bool(caret), body) for caret, prefix, body in prefixes
                if path.startswith(prefix)]  # fmt: skip
    longest = max(matching, default=None)
    if longest is None or not longest[1]:
        for pattern, variable in gateway_regex_locations().items():
            if re.search(pattern, path):
                return variable
    if longest is None:
        return None
    target = re.search(r"proxy_pass\s+\$(\w+)\s*;", longest[2])
    return target.group(1) if target else None


def backend_host(url: str) -> str:
    match = re.fullmatch(r"https?://([^/:]+):(\d+)", url)
    assert match, f"{url}: the backend is scheme://host:port, without a path"
    return match[1]


def top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    return names


def image_tag(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    assert ":" in name, f"image {image} has no tag"
    return name.split(":", 1)[1]


# --- the KurrentDB cluster -----------------------------------------------------------------------


def release(image: str) -> tuple[int, int, int]:
    tag = image_tag(image)
    assert "latest" not in tag
    version = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", tag)
    assert version, f"tag {tag} is not a full release number (major.minor.patch)"
    return int(version[1]), int(version[2]), int(version[3])


def test_three_kurrentdb_nodes_on_the_same_pinned_release() -> None:
    nodes = kurrentdb_nodes()
    assert len(nodes) == 3, sorted(nodes)
    images = {node["image"] for node in nodes.values()}
    assert len(images) == 1, images
    assert release(images.pop())[:2] >= FIRST_MULTI_APPEND_RELEASE


def test_cluster_runs_a_release_with_the_multi_append_and_join_fixes() -> None:
    for name, node in kurrentdb_nodes().items():
        assert release(node["image"]) >= MINIMUM_KURRENTDB_RELEASE, name


def test_test_container_runs_a_release_with_the_fixes() -> None:
    assert release(kurrentdb_container.KURRENTDB_IMAGE) >= MINIMUM_KURRENTDB_RELEASE


def test_test_container_runs_the_clusters_release() -> None:
    (image,) = {node["image"] for node in kurrentdb_nodes().values()}
    assert image == kurrentdb_container.KURRENTDB_IMAGE


def test_each_node_gossips_with_the_two_others() -> None:
    nodes = kurrentdb_nodes()
    for name, node in nodes.items():
        env = environment(node)
        seeds = env["KURRENTDB_GOSSIP_SEED"].split(",")
        assert {host_of(seed) for seed in seeds} == set(nodes) - {name}
        assert {seed.rsplit(":", 1)[1] for seed in seeds} == {env["KURRENTDB_NODE_PORT"]}


def test_nodes_form_an_insecure_cluster_of_three_without_projections() -> None:
    for node in kurrentdb_nodes().values():
        env = environment(node)
        assert env["KURRENTDB_CLUSTER_SIZE"] == "3"
        assert env["KURRENTDB_RUN_PROJECTIONS"] == "None"
        assert env["KURRENTDB_INSECURE"] == "true"
        assert env["KURRENTDB_REPLICATION_PORT"]


def test_insecure_mode_is_labelled_development_only() -> None:
    lines = COMPOSE.read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(r"\s*-?\s*KURRENTDB_INSECURE\b", line):
            context = " ".join(lines[max(0, index - 4) : index + 1]).lower()
            assert "development only" in context, f"line {index + 1} is not labelled"


def test_each_node_keeps_its_data_on_its_own_volume() -> None:
    mounts = [tuple(node["volumes"]) for node in kurrentdb_nodes().values()]
    assert len(set(mounts)) == len(mounts)


def leader_gate() -> dict[str, Any]:
    gate = services().get(LEADER_GATE)
    assert gate is not None, f"no {LEADER_GATE} service"
    return gate


def healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return test
    assert test[0] in ("CMD-SHELL", "CMD"), test
    return " ".join(str(part) for part in test[1:])


def test_leader_gate_is_healthy_only_when_a_node_is_leader() -> None:
    command = healthcheck_command(leader_gate())
    # /info answers the node's own state; /health/live passes before any election.
    assert "/health/live" not in command
    assert re.search(r"/info\b|/gossip\b", command), command
    assert re.search(r"leader", command, re.IGNORECASE), command
    assert re.search(r"\b(curl|wget)\b", command) and "grep" in command, command


def test_leader_gate_asks_every_node_and_needs_only_one() -> None:
    gate = leader_gate()
    command = healthcheck_command(gate)
    for name in kurrentdb_nodes():
        assert re.search(rf"\b{name}\b", command), f"the leader check never asks {name}"
    # It succeeds on the first node that answers "leader" (a down node is skipped).
    assert "exit 0" in command and re.search(r"\bfor\b", command), command
    # In compose, `$` must be doubled to reach the shell rather than compose's interpolation.
    assert not re.search(r"(?<!\$)\$(?!\$)\w", command), command


def info_body(state: str) -> str:
    """/info as KurrentDB writes it (Newtonsoft, camel case, indented): the node's own state."""
    return (
        "{\n"
        '  "dbVersion": "25.1.4",\n'
        '  "esVersion": "25.1.4",\n'
        f'  "state": "{state}",\n'
        '  "features": {\n    "projections": false\n  }\n'
        "}\n"
    )


def run_leader_check(tmp_path: Path, states: dict[str, str | None]) -> int:
    """Run the gate's healthcheck with a stand-in curl: node → its state, None when it is down."""
    bodies = tmp_path / "bodies"
    bodies.mkdir()
    for node, state in states.items():
        if state is not None:
            (bodies / node).write_text(info_body(state))
    curl = tmp_path / "curl"
    curl.write_text(
        "#!/bin/sh\n"
        "# The URL is the last argument: http://<node>:2113/info\n"
        "for url; do :; done\n"
        "node=${url#http://}; node=${node%%:*}\n"
        f'[ "${{url##*/}}" = info ] && [ -f "{bodies}/$node" ] || exit 7\n'
        f'cat "{bodies}/$node"\n'
    )
    curl.chmod(0o755)
    # Compose turns `$$` into `$` before the shell sees the command.
    command = healthcheck_command(leader_gate()).replace("$$", "$")
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["sh", "-c", command], env=env, timeout=10, check=False).returncode


@pytest.mark.skipif(shutil.which("grep") is None, reason="no grep")
@pytest.mark.parametrize(
    ("states", "healthy"),
    [
        ({"node1": "leader", "node2": "follower", "node3": "follower"}, True),
        ({"node1": None, "node2": "follower", "node3": "leader"}, True),  # one node down
        ({"node1": None, "node2": None, "node3": None}, False),
        ({"node1": "follower", "node2": "follower", "node3": None}, False),  # leader just died
        ({"node1": "preleader", "node2": "unknown", "node3": "resigningleader"}, False),
        ({"node1": "discoverleader", "node2": "discoverleader", "node3": None}, False),
    ],
)
def test_leader_check_answers_as_the_cluster_is(
    tmp_path: Path, states: dict[str, str | None], healthy: bool
) -> None:
    assert set(states) == set(kurrentdb_nodes())
    assert (run_leader_check(tmp_path, states) == 0) is healthy


def test_leader_gate_does_not_wait_for_the_nodes_to_be_healthy() -> None:
    depends = leader_gate().get("depends_on") or []
    if isinstance(depends, dict):
        conditions = {dep: (spec or {}).get("condition") for dep, spec in depends.items()}
        assert "service_healthy" not in conditions.values(), conditions


def test_leader_gate_uses_the_kurrentdb_image_which_has_curl() -> None:
    # The KurrentDB runtime image installs curl for its own HEALTHCHECK.
    gate = leader_gate()
    (image,) = {node["image"] for node in kurrentdb_nodes().values()}
    assert gate["image"] == image
    assert "curl" in healthcheck_command(gate)
    assert gate.get("entrypoint"), "the gate must not run a fourth KurrentDB server"


def test_leader_gate_healthcheck_is_bounded() -> None:
    healthcheck = leader_gate()["healthcheck"]
    for key in ("interval", "timeout", "retries"):
        assert key in healthcheck, key


@pytest.mark.parametrize("name", sorted(service_containers()))
def test_service_waits_for_a_leader_not_for_every_node(name: str) -> None:
    depends = service_containers()[name]["depends_on"]
    assert isinstance(depends, dict), "depends_on needs the long form to state a condition"
    assert depends.get(LEADER_GATE) == {"condition": "service_healthy"}, depends
    waited_nodes = set(depends) & set(kurrentdb_nodes())
    assert not waited_nodes, f"{name} waits on {sorted(waited_nodes)}"


# --- the service containers ----------------------------------------------------------------------


def test_there_is_at_least_one_service_container() -> None:
    assert service_containers()


@pytest.mark.parametrize("name", sorted(service_containers()))
def test_service_is_built_from_the_deploy_dockerfile(name: str) -> None:
    build = service_containers()[name]["build"]
    context = (COMPOSE.parent / build["context"]).resolve()
    assert (context / build["dockerfile"]).resolve() == DOCKERFILE.resolve()
    assert build["args"]["SERVICE"] == name


@pytest.mark.parametrize("name", sorted(service_containers()))
def test_service_uses_the_cluster(name: str) -> None:
    uri = environment(service_containers()[name])["COOP_EVENT_STORE"]
    spec = ConnectionSpec(uri)  # exactly as the client will read it
    nodes = kurrentdb_nodes()
    ports = {environment(node)["KURRENTDB_NODE_PORT"] for node in nodes.values()}
    assert {host_of(target) for target in spec.targets} == set(nodes)
    assert {target.rsplit(":", 1)[1] for target in spec.targets} == ports
    assert spec.options.tls is False  # the cluster is insecure


def assert_calls_cannot_hang(uri: str) -> None:
    """Keep-alive (milliseconds) and a default deadline (seconds), read as the client reads
    them: the client sets none by default, so a call on a dead connection would wait forever."""
    options = ConnectionSpec(uri).options
    interval, timeout, deadline = (
        options.keep_alive_interval,
        options.keep_alive_timeout,
        options.default_deadline,
    )
    assert interval is not None, f"{uri}: no KeepAliveInterval"
    assert timeout is not None, f"{uri}: no KeepAliveTimeout"
    assert deadline is not None, f"{uri}: no DefaultDeadline"
    # Milliseconds: a 10 written for "10 s" would ping every 10 ms.
    assert 1_000 <= interval <= 60_000, f"KeepAliveInterval={interval} ms"
    assert 1_000 <= timeout <= 60_000, f"KeepAliveTimeout={timeout} ms"
    # Seconds: long enough for a write under load, short enough that a caller gets an answer.
    assert 5 <= deadline <= 120, f"DefaultDeadline={deadline} s"


@pytest.mark.parametrize("name", sorted(service_containers()))
def test_service_calls_cannot_hang(name: str) -> None:
    assert_calls_cannot_hang(environment(service_containers()[name])["COOP_EVENT_STORE"])


def test_test_container_calls_cannot_hang() -> None:
    uri = kurrentdb_container.connection_uri("localhost", 32768)
    assert_calls_cannot_hang(uri)
    spec = ConnectionSpec(uri)
    assert list(spec.targets) == ["localhost:32768"]
    assert spec.options.tls is False


def test_services_and_test_container_share_the_same_timeouts() -> None:
    def timeouts(uri: str) -> tuple[int | None, int | None, int | None]:
        options = ConnectionSpec(uri).options
        return options.keep_alive_interval, options.keep_alive_timeout, options.default_deadline

    wanted = timeouts(kurrentdb_container.connection_uri("localhost", 2113))
    for name, service in service_containers().items():
        assert timeouts(environment(service)["COOP_EVENT_STORE"]) == wanted, name


@pytest.mark.parametrize("name", sorted(service_containers()))
def test_service_requires_an_admin_key(name: str) -> None:
    key = environment(service_containers()[name])["COOP_ADMIN_KEY"]
    assert re.fullmatch(r"\$\{COOP_ADMIN_KEY:\?[^}]+\}", key), key


@pytest.mark.parametrize("name", sorted(service_containers()))
def test_service_keeps_its_read_models_on_its_own_volume(name: str) -> None:
    service = service_containers()[name]
    data_dir = environment(service)["COOP_DATA_DIR"]
    volumes = [v.split("#")[0].strip() for v in service["volumes"]]
    named = [v.split(":")[0] for v in volumes if v.split(":")[1] == data_dir]
    assert len(named) == 1, f"{name} mounts nothing at {data_dir}"
    assert named[0] in (compose().get("volumes") or {})
    others = {
        v.split(":")[0]
        for other, s in service_containers().items()
        if other != name
        for v in s.get("volumes", [])
    }
    assert named[0] not in others, f"{named[0]} is shared"


@pytest.mark.parametrize("name", sorted(service_containers()))
def test_service_app_module_exists(name: str) -> None:
    # find_spec only: the module need not import cleanly yet, it must be there with a factory.
    module = f"services.{name}.app"
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        spec = None
    assert spec is not None and spec.origin, f"{module} does not exist"
    defined = top_level_names(ast.parse(Path(spec.origin).read_text()))
    assert "create_app" in defined, f"{module} defines no create_app"


def test_dockerfile_builds_on_python_311_and_takes_the_service_as_argument() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    assert re.search(r"^ARG SERVICE\b", text, re.MULTILINE)


# --- the gateway ---------------------------------------------------------------------------------


def test_gateway_publishes_port_8000_on_a_pinned_nginx() -> None:
    gateway = services()["gateway"]
    tag = image_tag(gateway["image"])
    assert gateway["image"].startswith("nginx:")
    assert "latest" not in tag and re.match(r"\d+\.\d+", tag)
    published = {str(port).rsplit(":", 2)[-2] for port in gateway["ports"] if ":" in str(port)}
    assert "8000" in published
    assert any(v.startswith("./gateway.conf:") for v in gateway["volumes"])


def test_gateway_resolves_services_per_request_through_dockers_dns() -> None:
    text = gateway_text()
    resolver = re.search(r"^\s*resolver\s+([^;]+);", text, re.MULTILINE)
    assert resolver, "no resolver: nginx would resolve the services once, at start-up"
    words = resolver[1].split()
    assert "127.0.0.11" in words  # Docker's embedded DNS
    valid = [w for w in words if w.startswith("valid=")]
    assert valid and re.fullmatch(r"valid=\d+s", valid[0]), words
    assert int(valid[0][len("valid=") : -1]) <= 30, "restarted containers followed late"
    assert "ipv6=off" in words  # compose networks answer A records


def test_every_proxy_pass_uses_a_variable() -> None:
    # A literal host in proxy_pass (or an upstream block) is resolved once, at start-up.
    passes = gateway_proxy_passes()
    assert passes
    for target in passes:
        assert re.fullmatch(r"\$\w+", target), f"proxy_pass {target} is not a variable"
    assert not re.search(r"^\s*upstream\b", gateway_text(), re.MULTILINE)


def test_every_backend_passes_the_request_uri_through() -> None:
    # With a variable, nginx sends the value's URI part in place of the request's: the value
    # must be scheme://host:port alone (backend_host checks it) for the full URI to go through.
    backends = gateway_backends()
    assert backends
    for name, url in backends.items():
        assert backend_host(url), name


def test_every_gateway_route_reaches_a_compose_service() -> None:
    backends = gateway_backends()
    for prefix, variable in gateway_locations().items():
        if variable is None:
            continue
        assert variable in backends, f"{prefix} → undefined backend ${variable}"
        host = backend_host(backends[variable])
        assert host in services(), f"{backends[variable]} is not a compose service"


def test_gateway_routes_each_resource_to_its_owner_when_it_is_deployed() -> None:
    locations = gateway_locations()
    backends = gateway_backends()
    deployed = set(service_containers())
    for prefix, owner in ROUTES.items():
        if owner in deployed:
            variable = locations.get(prefix)
            assert variable is not None, f"{prefix} is not routed to {owner}"
            assert backend_host(backends[variable]) == owner, prefix
        else:
            assert prefix not in locations, f"{prefix} routed but {owner} is not deployed"


def test_gateway_routes_nothing_unknown_under_v1() -> None:
    unknown = {p for p in gateway_locations() if p.startswith("/v1") and p not in ROUTES}
    assert not unknown


def test_gateway_routes_each_regex_resource_to_its_owner() -> None:
    locations = gateway_regex_locations()
    backends = gateway_backends()
    assert set(locations) == set(REGEX_ROUTES), sorted(locations)
    for pattern, owner in REGEX_ROUTES.items():
        variable = locations[pattern]
        assert variable is not None, f"location ~ {pattern} proxies nowhere"
        assert backend_host(backends[variable]) == owner, pattern


@pytest.mark.parametrize(("path", "owner"), sorted(PATHS.items()))
def test_gateway_sends_a_path_where_nginx_would(path: str, owner: str) -> None:
    variable = routed_to(path)
    assert variable is not None, f"{path} reaches no service"
    assert backend_host(gateway_backends()[variable]) == owner


def test_every_deployed_service_gets_traffic() -> None:
    backends = gateway_backends()
    routed = {
        backend_host(backends[variable])
        for variable in gateway_locations().values()
        if variable is not None
    }
    assert set(service_containers()) <= routed


def test_gateway_starts_without_waiting_for_the_services() -> None:
    assert not services()["gateway"].get("depends_on")


def test_the_event_stream_is_not_buffered_by_the_gateway() -> None:
    """SSE frames must reach a partner as they are sent, not when nginx's buffer fills."""
    text = GATEWAY.read_text()
    stream = next(line for line in text.splitlines() if "location /v1/events/stream" in line)
    assert "proxy_buffering off" in stream and "proxy_read_timeout" in stream


@pytest.mark.parametrize("name", sorted(service_containers()))
def test_every_service_opens_the_one_key_store(name: str) -> None:
    service = service_containers()[name]
    keystore = environment(service)["COOP_KEYSTORE"]
    mounts = {v.split("#")[0].strip().split(":")[1]: v.split(":")[0] for v in service["volumes"]}
    assert mounts[str(Path(keystore).parent)] == "keys"
    assert "keys" in (compose().get("volumes") or {})
