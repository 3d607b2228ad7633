"""The dev container: valid JSON, Python 3.11 with make, and a firewall allow-list that lets W&B and pip through."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import urllib.parse

import wandb

DEVCONTAINER = pathlib.Path(__file__).resolve().parent.parent / ".devcontainer"


def _config() -> dict:
    return json.loads((DEVCONTAINER / "devcontainer.json").read_text())


def _allowed_hosts() -> set[str]:
    lines = (DEVCONTAINER / "allowed-domains.txt").read_text().splitlines()
    return {line.split("#", 1)[0].strip() for line in lines} - {""}


def _dockerfile() -> str:
    return (DEVCONTAINER / _config()["build"]["dockerfile"]).read_text()


def test_devcontainer_json_builds_the_dockerfile_and_starts_the_firewall() -> None:
    config = _config()
    assert (DEVCONTAINER / config["build"]["context"] / "Dockerfile").is_file()
    assert "init-firewall.sh" in config["postStartCommand"]
    assert {"--cap-add=NET_ADMIN", "--cap-add=NET_RAW"} <= set(config["runArgs"])
    assert "make" in config["postCreateCommand"]


def test_dockerfile_is_python_311_with_make_and_the_firewall_tools() -> None:
    dockerfile = _dockerfile()
    assert re.search(r"^FROM python:3\.11\b", dockerfile, re.MULTILINE)
    for package in ("make", "iptables", "ipset", "dnsutils"):
        assert re.search(rf"\s{package}\s", dockerfile), package


def test_firewall_reads_the_allow_list_where_the_dockerfile_puts_it() -> None:
    script = (DEVCONTAINER / "init-firewall.sh").read_text()
    (installed_at,) = re.findall(r"^COPY allowed-domains\.txt (\S+)$", _dockerfile(), re.MULTILINE)
    assert f"allowed_domains=${{1:-{installed_at}}}" in script
    assert re.search(r"^COPY init-firewall\.sh /usr/local/bin/init-firewall\.sh$", _dockerfile(), re.MULTILINE)


def test_firewall_script_is_valid_bash() -> None:
    subprocess.run(["bash", "-n", str(DEVCONTAINER / "init-firewall.sh")], check=True)


def test_allow_list_has_the_package_index_and_the_wandb_hosts() -> None:
    assert {"pypi.org", "files.pythonhosted.org", "api.wandb.ai", "cdn.wandb.ai"} <= _allowed_hosts()


def test_the_wandb_server_the_container_uses_is_allowed() -> None:
    """The pinned client's own default server is elsewhere, so the container must pin one that is on the list."""
    base_url = _config()["containerEnv"].get("WANDB_BASE_URL") or wandb.Settings().base_url
    assert urllib.parse.urlparse(base_url).hostname in _allowed_hosts()


def test_docker_image_pins_the_same_wandb_server_as_the_editor_session() -> None:
    """Outside the editor (``docker run``) only the image's environment applies."""
    pinned = _config()["containerEnv"]["WANDB_BASE_URL"]
    assert re.search(rf"\bWANDB_BASE_URL={re.escape(pinned)}\s", _dockerfile())
