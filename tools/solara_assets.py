#!/usr/bin/env python
"""Fill Solara's CDN proxy cache from the npm registry, so the web app works offline.

A Solara page loads its JavaScript and CSS through the server's own proxy,
``/_solara/cdn/<npm-package>@<version>/<file>``. On a cache miss the server fetches the
file from a public CDN, which this project's machines (developers' and CI's) cannot
reach: the page then stays blank. The PyPI package ``solara-assets`` lags behind solara.

This script puts the same npm packages into the proxy's cache directory
(``solara.server.settings.assets.proxy_cache_dir``; ``$SOLARA_ASSETS_PROXY_CACHE_DIR`` moves it),
laid out as the proxy expects: ``<cache>/<name>@<version>/<file inside the package>``,
e.g. ``<cache>/requirejs@2.3.6/require.js`` or
``<cache>/@widgetti/solara-vuetify-app@10.1.1/dist/main8.css``. The tarballs come from
``npm pack`` (the npm registry is reachable), which is what the CDN serves too.

Idempotent: a package already complete in the cache is skipped. Exits non-zero with a
message on failure.

Usage::

    .venv/bin/python tools/solara_assets.py            # fill (core + markdown packages)
    .venv/bin/python tools/solara_assets.py --core-only
    .venv/bin/python tools/solara_assets.py --check    # verify only, no network

Run it with the project's virtualenv python: the cache lives under that environment.
When solara is upgraded, the check against solara's own source below fails and names
the package whose version must be updated here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field

MARKER = ".povsim-npm-pack-complete"


@dataclass(frozen=True)
class NpmPackage:
    name: str  # npm name, possibly scoped: "@widgetti/solara-vuetify-app"
    version: str
    # files (relative to the package root) that Solara requests; checked after unpacking
    files: tuple[str, ...]
    # alias -> source: files the CDN would generate (it minifies on the fly) but the
    # tarball lacks; the unminified file works as well
    aliases: dict[str, str] = field(default_factory=dict)
    core: bool = True  # needed by every Solara page (False: only by some components)

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


# Versions as solara 1.64 requests them (solara/server/templates/solara.html.j2,
# solara/server/settings.py, solara/widgets/vue/gridlayout.vue, solara/components/markdown.py).
PACKAGES: tuple[NpmPackage, ...] = (
    NpmPackage(
        "@widgetti/solara-vuetify-app",
        "10.1.1",
        files=(
            "dist/main8.css",
            "dist/fonts.css",
            "dist/solara-vuetify-app8.js",
            "dist/solara-vuetify-app8.min.js",
        ),
    ),
    NpmPackage("font-awesome", "4.5.0", files=("css/font-awesome.min.css",)),
    NpmPackage(
        "requirejs",
        "2.3.6",
        files=("require.js", "require.min.js"),
        aliases={"require.min.js": "require.js"},
    ),
    # solara.GridDraggable, which Mesa's SolaraViz uses for its plot area
    NpmPackage(
        "@widgetti/vue-grid-layout", "2.3.13-alpha.2", files=("dist/vue-grid-layout.umd.js",)
    ),
    # solara.Markdown loads mermaid and KaTeX on every mount, whatever the text
    NpmPackage(
        "katex",
        "0.16.9",
        files=("dist/katex.min.js", "dist/katex.min.css", "dist/contrib/auto-render.min.js"),
        core=False,
    ),
    NpmPackage("mermaid", "10.8.0", files=("dist/mermaid.min.js",), core=False),
)


class AssetError(RuntimeError):
    pass


def solara_info() -> tuple[pathlib.Path, pathlib.Path, str]:
    """(proxy cache dir, solara package dir, solara version), from the running interpreter."""
    try:
        import solara
        import solara.server.settings as settings
    except Exception as e:  # noqa: BLE001 - any import failure means the same to the user
        raise AssetError(
            f"cannot import solara with {sys.executable} ({e!r}); run this script with the "
            "project's virtualenv python, e.g. .venv/bin/python tools/solara_assets.py"
        ) from e
    return (
        pathlib.Path(settings.assets.proxy_cache_dir),
        pathlib.Path(solara.__file__).parent,
        solara.__version__,
    )


def check_versions_against_solara(solara_dir: pathlib.Path, packages) -> list[str]:
    """Names of packages whose pinned name@version does not occur in solara's source."""
    text = []
    for pattern in ("**/*.j2", "**/*.vue", "**/*.py"):
        for p in solara_dir.glob(pattern):
            if "website" in p.parts:  # solara's own docs site, not the server
                continue
            with contextlib.suppress(OSError):
                text.append(p.read_text(encoding="utf-8", errors="replace"))
    blob = "\n".join(text)
    return [pkg.spec for pkg in packages if pkg.spec not in blob]


def package_dir(cache_dir: pathlib.Path, pkg: NpmPackage) -> pathlib.Path:
    return cache_dir / pkg.spec  # a scoped name gives a sub-directory, as the proxy expects


def missing_files(cache_dir: pathlib.Path, pkg: NpmPackage) -> list[str]:
    root = package_dir(cache_dir, pkg)
    return [f for f in pkg.files if not (root / f).is_file()]


def is_complete(cache_dir: pathlib.Path, pkg: NpmPackage) -> bool:
    return (package_dir(cache_dir, pkg) / MARKER).is_file() and not missing_files(cache_dir, pkg)


def npm_pack(pkg: NpmPackage, dest: pathlib.Path) -> pathlib.Path:
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError("npm not found on PATH (Debian: apt-get install -y npm)")
    cmd = [npm, "pack", pkg.spec, "--json", "--pack-destination", str(dest)]
    try:
        proc = subprocess.run(
            cmd, cwd=dest, capture_output=True, text=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired as e:
        raise AssetError(f"`{' '.join(cmd)}` timed out") from e
    if proc.returncode != 0:
        raise AssetError(
            f"`{' '.join(cmd)}` failed (exit {proc.returncode}):\n{proc.stderr.strip()}"
        )
    try:
        filename = json.loads(proc.stdout)[0]["filename"]
    except (ValueError, LookupError, TypeError):
        tgzs = sorted(dest.glob("*.tgz"))
        if len(tgzs) != 1:
            raise AssetError(f"cannot find the tarball npm pack wrote for {pkg.spec}") from None
        return tgzs[0]
    # npm writes scoped names as "widgetti-name-1.0.0.tgz" and reports that name
    tarball = dest / pathlib.Path(filename).name
    if not tarball.is_file():
        raise AssetError(f"npm pack reported {filename} but {tarball} does not exist")
    return tarball


def install_package(cache_dir: pathlib.Path, pkg: NpmPackage) -> int:
    """Unpack pkg into the cache; returns the number of files written."""
    target = package_dir(cache_dir, pkg)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=cache_dir) as tmp:
        tmpdir = pathlib.Path(tmp)
        tarball = npm_pack(pkg, tmpdir)
        unpacked = tmpdir / "unpacked"
        unpacked.mkdir()
        with tarfile.open(tarball) as tf:
            tf.extractall(unpacked, filter="data")
        roots = [p for p in unpacked.iterdir() if p.is_dir()]
        if len(roots) != 1:  # npm tarballs hold one top folder, normally "package/"
            raise AssetError(f"unexpected layout in {tarball.name}: {[p.name for p in roots]}")
        root = roots[0]
        for alias, source in pkg.aliases.items():
            if not (root / alias).exists() and (root / source).is_file():
                shutil.copyfile(root / source, root / alias)
        absent = [f for f in pkg.files if not (root / f).is_file()]
        if absent:
            raise AssetError(f"{pkg.spec} from npm lacks files Solara requests: {absent}")
        count = sum(1 for p in root.rglob("*") if p.is_file())
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.replace(root, target)  # same file system: atomic
        else:
            # Solara may have cached some of these files itself (when online): merge,
            # each file replaced whole so a running server never reads half a file
            for src in root.rglob("*"):
                if src.is_file():
                    dst = target / src.relative_to(root)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(src, dst)
        (target / MARKER).write_text(f"{pkg.spec} unpacked from npm pack\n")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cache-dir",
        type=pathlib.Path,
        help="proxy cache dir (default: solara's settings.assets.proxy_cache_dir)",
    )
    parser.add_argument(
        "--core-only", action="store_true", help="skip packages only some components use"
    )
    parser.add_argument(
        "--check", action="store_true", help="only verify the cache; exit 1 if incomplete"
    )
    parser.add_argument(
        "--no-version-check",
        action="store_true",
        help="do not check the pinned versions against the installed solara's source",
    )
    args = parser.parse_args(argv)

    try:
        default_cache, solara_dir, solara_version = solara_info()
        cache_dir = (args.cache_dir or default_cache).resolve()
        packages = [p for p in PACKAGES if p.core or not args.core_only]
        print(f"solara {solara_version}; proxy cache: {cache_dir}")

        if not args.no_version_check:
            stale = check_versions_against_solara(solara_dir, packages)
            if stale:
                raise AssetError(
                    f"solara {solara_version} no longer references {stale}; it was probably "
                    "upgraded. Grep its source (server/templates/solara.html.j2, "
                    "widgets/vue/*.vue, components/markdown.py) for the versions it requests "
                    "and update PACKAGES in tools/solara_assets.py."
                )

        if args.check:
            bad = {
                p.spec: missing_files(cache_dir, p) or ["(not from npm pack)"]
                for p in packages
                if not is_complete(cache_dir, p)
            }
            for spec, files in bad.items():
                print(f"MISSING {spec}: {', '.join(files)}")
            if bad:
                print("run: .venv/bin/python tools/solara_assets.py", file=sys.stderr)
                return 1
            print(f"OK: all {len(packages)} packages present")
            return 0

        for pkg in packages:
            if is_complete(cache_dir, pkg):
                print(f"skip    {pkg.spec} (already in cache)")
                continue
            n = install_package(cache_dir, pkg)
            print(f"added   {pkg.spec} ({n} files) -> {package_dir(cache_dir, pkg)}")
        print("done")
        return 0
    except AssetError as e:
        print(f"solara_assets: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"solara_assets: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
