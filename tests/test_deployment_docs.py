"""docs/deployment.md shows deploy/nginx.conf, the file the TLS proxy browser test runs
(tests/browser/test_https_proxy.py), word for word."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_documented_nginx_config_is_the_tested_file():
    doc = (ROOT / "docs" / "deployment.md").read_text()
    shown = re.search(
        r"<!-- deploy/nginx.conf: begin -->\n```nginx\n(.*?)```\n<!-- deploy/nginx.conf: end -->",
        doc,
        re.S,
    )
    assert shown, "docs/deployment.md lost its copy of deploy/nginx.conf"
    assert shown.group(1) == (ROOT / "deploy" / "nginx.conf").read_text()


def test_the_readme_points_to_the_deployment_docs():
    assert "docs/deployment.md" in (ROOT / "README.md").read_text()
