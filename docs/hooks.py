"""mkdocs hooks: serve the repository's figures/ and CHANGELOG.md with the docs.

The Markdown pages link figures as ``../figures/NAME.png`` so that they also work when read on
the repository; the site copies figures/ next to the pages and rewrites those links.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent


def on_files(files, config):
    for path in sorted((ROOT / "figures").glob("*.*")):
        if path.suffix in {".png", ".gif", ".svg"}:
            files.append(File(f"figures/{path.name}", str(ROOT), config["site_dir"], config["use_directory_urls"]))
    return files


def on_page_markdown(markdown, page, config, files):
    depth = page.file.src_uri.count("/")
    return markdown.replace("](../figures/", f"]({'../' * depth}figures/")


def on_pre_build(config):
    (Path(config["docs_dir"]) / "changelog.md").write_text((ROOT / "CHANGELOG.md").read_text())
