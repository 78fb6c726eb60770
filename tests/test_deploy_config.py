"""deploy/: the compose file, the gateway routes and the image agree with each other and with
the code, checked without a Docker engine."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from kurrentdbclient.connection_spec import ConnectionSpec

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
    "/v1/salaries": "payroll",
    "/v1/payment-runs": "payroll",
    "/v1/guarantee-fund": "payroll",
    "/v1/share-purchases": "governance",
    "/v1/shareholders": "governance",
    "/v1/assemblies": "governance",
    "/v1/elections": "governance",
    "/v1/api-keys": "platform",
    "/v1/ops": "platform",
}
FIRST_MULTI_APPEND_RELEASE = (25, 1)


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
    return {
        name: service
        for name, service in services().items()
        if "kurrentdb" in str(service.get("image", "")).split("/")[-1]
    }


def service_containers() -> dict[str, dict[str, Any]]:
    """Containers built from our image, i.e. the services."""
    return {name: service for name, service in services().items() if "build" in service}


def host_of(address: str) -> str:
    return address.rsplit(":", 1)[0]


def gateway_upstreams() -> dict[str, list[str]]:
    """upstream name → the addresses of its servers."""
    text = GATEWAY.read_text()
    return {
        name: re.findall(r"^\s*server\s+([^\s;]+)", body, re.MULTILINE)
        for name, body in re.findall(r"upstream\s+(\S+)\s*\{(.*?)\}", text, re.DOTALL)
    }


def gateway_locations() -> dict[str, str | None]:
    """location prefix → the upstream it proxies to (None when it answers by itself)."""
    text = GATEWAY.read_text()
    found: dict[str, str | None] = {}
    for prefix, body in re.findall(r"location\s+(?:\^~\s+)?(\S+)\s*\{(.*?)\}", text, re.DOTALL):
        assert prefix not in found, f"location {prefix} defined twice"
        target = re.search(r"proxy_pass\s+https?://([^/;\s]+)", body)
        found[prefix] = target.group(1) if target else None
    return found


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


def test_three_kurrentdb_nodes_on_the_same_pinned_release() -> None:
    nodes = kurrentdb_nodes()
    assert len(nodes) == 3, sorted(nodes)
    images = {node["image"] for node in nodes.values()}
    assert len(images) == 1, images
    tag = image_tag(images.pop())
    assert "latest" not in tag
    version = re.match(r"(\d+)\.(\d+)(?:\.\d+)?$", tag)
    assert version, f"tag {tag} is not a release number"
    assert (int(version[1]), int(version[2])) >= FIRST_MULTI_APPEND_RELEASE


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


def test_every_gateway_route_reaches_a_compose_service() -> None:
    upstreams = gateway_upstreams()
    for prefix, upstream in gateway_locations().items():
        if upstream is None:
            continue
        assert upstream in upstreams, f"{prefix} → undefined upstream {upstream}"
        assert upstreams[upstream], f"upstream {upstream} has no server"
        for address in upstreams[upstream]:
            assert host_of(address) in services(), f"{address} is not a compose service"


def test_gateway_routes_each_resource_to_its_owner_when_it_is_deployed() -> None:
    locations = gateway_locations()
    upstreams = gateway_upstreams()
    deployed = set(service_containers())
    for prefix, owner in ROUTES.items():
        if owner in deployed:
            upstream = locations.get(prefix)
            assert upstream is not None, f"{prefix} is not routed to {owner}"
            assert {host_of(a) for a in upstreams[upstream]} == {owner}, prefix
        else:
            assert prefix not in locations, f"{prefix} routed but {owner} is not deployed"


def test_gateway_routes_nothing_unknown_under_v1() -> None:
    unknown = {p for p in gateway_locations() if p.startswith("/v1") and p not in ROUTES}
    assert not unknown


def test_every_deployed_service_gets_traffic() -> None:
    routed = {
        host_of(address)
        for upstream in gateway_locations().values()
        if upstream is not None
        for address in gateway_upstreams()[upstream]
    }
    assert set(service_containers()) <= routed
