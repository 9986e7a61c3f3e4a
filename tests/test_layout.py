"""The shape of the tree: small product modules (the sandbox, tests, benchmarks and migrations aside)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_PRODUCT = {"tests", "bench", "sandbox", "node_modules", "static", "templates", "var"}
MAX_LINES = 600


def product_modules():
    for package in sorted(ROOT.iterdir()):
        if package.name in NOT_PRODUCT or package.name.startswith(".") or not (package / "__init__.py").exists():
            continue
        for module in package.rglob("*.py"):
            if "migrations" not in module.parts:
                yield module


def test_the_product_packages_are_found():
    packages = {module.relative_to(ROOT).parts[0] for module in product_modules()}
    assert {"portal", "web", "qualtrics", "accounts", "connections", "contacts", "brandadmin",
            "distributions", "dashboard"} <= packages


def test_no_product_module_is_over_600_lines():
    too_long = {
        str(module.relative_to(ROOT)): lines
        for module in product_modules()
        if (lines := len(module.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"split these by topic: {too_long}"
