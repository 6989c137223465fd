"""Builds onekvm-remotes' .deb (dpkg-deb) and .rpm (rpmbuild) from nfpm.yaml.

nfpm cannot be installed on every build machine; this script reads the same
nfpm.yaml (the subset of YAML it is written in: mappings, lists, block scalars,
comments) and produces packages with the distribution's own tools, so that both
paths ship the same files, metadata and maintainer scripts.
"""

import argparse
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile


# --- the YAML subset of nfpm.yaml ---------------------------------------------

def _scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _strip_comment(line):
    # a '#' starts a comment only at the start or after a blank, outside quotes
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


class _Lines:
    def __init__(self, text):
        self.lines = text.splitlines()
        self.i = 0

    def peek(self):
        while self.i < len(self.lines):
            raw = self.lines[self.i]
            stripped = _strip_comment(raw)
            if stripped.strip():
                return len(stripped) - len(stripped.lstrip(" ")), stripped.strip(), raw
            self.i += 1
        return None


def _parse_block(src, indent):
    first = src.peek()
    if first is None or first[0] < indent:
        return None
    if first[1].startswith("- ") or first[1] == "-":
        return _parse_list(src, first[0])
    return _parse_map(src, first[0])


def _parse_map(src, indent):
    result = {}
    while True:
        nxt = src.peek()
        if nxt is None or nxt[0] < indent:
            return result
        if nxt[0] > indent:
            raise ValueError(f"nfpm.yaml line {src.i + 1}: unexpected indentation")
        key, sep, rest = nxt[1].partition(":")
        if not sep:
            raise ValueError(f"nfpm.yaml line {src.i + 1}: expected 'key: value'")
        src.i += 1
        rest = rest.strip()
        if rest in ("|", "|-", ">", ">-"):
            result[key.strip()] = _block_scalar(src, indent, keep_final=not rest.endswith("-"))
        elif rest:
            result[key.strip()] = _scalar(rest)
        else:
            result[key.strip()] = _parse_block(src, indent + 1)


def _parse_list(src, indent):
    result = []
    while True:
        nxt = src.peek()
        if nxt is None or nxt[0] < indent or not nxt[1].startswith("-"):
            return result
        item = nxt[1][1:].strip()
        if ":" in item and not item.startswith(("'", '"')):
            # a mapping item: its first key sits on the dash line
            src.lines[src.i] = " " * (indent + 2) + item
            result.append(_parse_map(src, indent + 2))
        else:
            src.i += 1
            result.append(_scalar(item))


def _block_scalar(src, indent, keep_final):
    out = []
    block_indent = None
    while src.i < len(src.lines):
        raw = src.lines[src.i]
        if raw.strip() and (len(raw) - len(raw.lstrip(" "))) <= indent:
            break
        if raw.strip() and block_indent is None:
            block_indent = len(raw) - len(raw.lstrip(" "))
        out.append(raw[block_indent:] if raw.strip() else "")
        src.i += 1
    text = "\n".join(out).rstrip("\n")
    return text + "\n" if keep_final else text


def load_nfpm(path, version):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # nfpm expands ${VAR} from the environment
    text = re.sub(r"\$\{(\w+)\}", lambda m: version if m.group(1) == "VERSION" else os.environ.get(m.group(1), ""), text)
    return _parse_block(_Lines(text), 0)


def for_packager(config, packager):
    merged = dict(config)
    merged.update((config.get("overrides") or {}).get(packager) or {})
    merged["contents"] = [c for c in config.get("contents", []) if c.get("packager", packager) == packager]
    return merged


# --- staging -------------------------------------------------------------------

def stage(config, root_dir, repo):
    """Lays the package's files out under root_dir; returns their list (relative paths)."""
    files = []
    for item in config["contents"]:
        dst = item["dst"].lstrip("/")
        target = os.path.join(root_dir, dst)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if item.get("type") == "symlink":
            os.symlink(item["src"], target)
        else:
            shutil.copyfile(os.path.join(repo, item["src"]), target)
            mode = int(str((item.get("file_info") or {}).get("mode", "0644")), 8)
            os.chmod(target, mode)
        files.append(dst)
    # directories: 0755, whatever the umask of the build machine
    for dirpath, dirnames, _ in os.walk(root_dir):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o755)
    return files


# --- .deb ----------------------------------------------------------------------

def build_deb(config, repo, out):
    config = for_packager(config, "deb")
    work = tempfile.mkdtemp(prefix="onekvm-deb-")
    try:
        root_dir = os.path.join(work, "root")
        files = stage(config, root_dir, repo)
        debian = os.path.join(root_dir, "DEBIAN")
        os.makedirs(debian)
        os.chmod(debian, 0o755)

        size_kib = 0
        for dirpath, _, filenames in os.walk(root_dir):
            for name in filenames:
                path = os.path.join(dirpath, name)
                if not os.path.islink(path):
                    size_kib += (os.path.getsize(path) + 1023) // 1024

        summary, _, extended = config["description"].strip().partition("\n")
        long_lines = [(" " + line) if line.strip() else " ." for line in extended.strip().splitlines()]
        version = f"{config['version']}-{config.get('release', '1')}"
        control = [
            f"Package: {config['name']}",
            f"Version: {version}",
            f"Architecture: {config['arch']}",
            f"Maintainer: {config['maintainer']}",
            f"Installed-Size: {size_kib}",
        ]
        if config.get("depends"):
            control.append("Depends: " + ", ".join(config["depends"]))
        if config.get("recommends"):
            control.append("Recommends: " + ", ".join(config["recommends"]))
        control += [
            f"Section: {config.get('section', 'admin')}",
            f"Priority: {config.get('priority', 'optional')}",
            f"Homepage: {config['homepage']}",
            f"Description: {summary.strip()}",
        ] + long_lines
        with open(os.path.join(debian, "control"), "w", encoding="utf-8") as f:
            f.write("\n".join(control) + "\n")

        with open(os.path.join(debian, "md5sums"), "w", encoding="utf-8") as f:
            for rel in sorted(files):
                path = os.path.join(root_dir, rel)
                if not os.path.islink(path):
                    with open(path, "rb") as data:
                        f.write(f"{hashlib.md5(data.read()).hexdigest()}  {rel}\n")
        os.chmod(os.path.join(debian, "md5sums"), 0o644)
        os.chmod(os.path.join(debian, "control"), 0o644)

        scripts = config.get("scripts") or {}
        for key, name in (("preinstall", "preinst"), ("postinstall", "postinst"),
                          ("preremove", "prerm"), ("postremove", "postrm")):
            if key in scripts:
                target = os.path.join(debian, name)
                shutil.copyfile(os.path.join(repo, scripts[key]), target)
                os.chmod(target, 0o755)

        deb = os.path.join(out, f"{config['name']}_{version}_{config['arch']}.deb")
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", root_dir, deb],
                       check=True, stdout=subprocess.DEVNULL)
        return deb
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- .rpm ----------------------------------------------------------------------

def build_rpm(config, repo, out):
    if shutil.which("rpmbuild") is None:
        print("rpmbuild not found: no .rpm built", file=sys.stderr)
        return None
    config = for_packager(config, "rpm")
    work = tempfile.mkdtemp(prefix="onekvm-rpm-")
    try:
        root_dir = os.path.join(work, "root")
        files = stage(config, root_dir, repo)
        summary, _, extended = config["description"].strip().partition("\n")
        arch = {"amd64": "x86_64"}.get(config["arch"], config["arch"])
        spec = [
            f"Name: {config['name']}",
            f"Version: {config['version']}",
            f"Release: {config.get('release', '1')}",
            f"Summary: {summary.strip()}",
            f"License: {config['license']}",
            f"URL: {config['homepage']}",
            f"Vendor: {config.get('vendor', '')}",
            f"Packager: {config['maintainer']}",
            f"BuildArch: {arch}",
            "AutoReqProv: no",
        ]
        for dep in config.get("depends") or []:
            spec.append(f"Requires: {dep}")
        spec += ["", "%description", extended.strip() or summary.strip(), ""]
        # rpm has no dpkg-divert: the Debian scripts do not apply (README: installing over opennebula's files)
        spec += ["%install", f"cp -a {root_dir}/. %{{buildroot}}/", "", "%files"]
        for rel in sorted(files):
            path = os.path.join(root_dir, rel)
            if os.path.islink(path):
                spec.append(f"/{rel}")
            else:
                spec.append(f"%attr({oct(os.stat(path).st_mode & 0o777)[2:]}, root, root) /{rel}")
        spec_path = os.path.join(work, "package.spec")
        with open(spec_path, "w", encoding="utf-8") as f:
            f.write("\n".join(spec) + "\n")
        subprocess.run(["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {work}/top",
                        "--define", "_build_id_links none", "--define", "__strip /bin/true",
                        "--define", "__brp_strip /bin/true", spec_path],
                       check=True, stdout=subprocess.DEVNULL)
        built = []
        for dirpath, _, filenames in os.walk(os.path.join(work, "top", "RPMS")):
            for name in filenames:
                shutil.copy(os.path.join(dirpath, name), out)
                built.append(os.path.join(out, name))
        return built[0] if built else None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    repo = os.path.dirname(os.path.abspath(args.config))
    config = load_nfpm(args.config, args.version)
    print(build_deb(config, repo, args.out))
    rpm = build_rpm(config, repo, args.out)
    if rpm:
        print(rpm)


if __name__ == "__main__":
    main()
