"""``hingecoach models fetch|list|verify``: the model files named in models/manifest.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "models",
        help="fetch, list or verify the model files (models/manifest.json)",
        description="Manage the model files named in models/manifest.json. fetch builds the "
        "default pose model offline from the installed mediapipe wheel and downloads the "
        "others; every file is sha256-checked and installed atomically.",
    )
    p.add_argument("action", choices=("fetch", "list", "verify"))
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="models to act on (default for fetch: the default pose model; "
                   "for verify: the default pose model and every model present; for list: all)")
    p.add_argument("--dir", type=Path, default=None,
                   help="models directory (default: $HINGECOACH_MODELS or the repo's models/)")
    p.add_argument("--manifest", type=Path, default=None, help="manifest file to use")
    p.add_argument("--force", action="store_true", help="fetch again even when the file is ok")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from hingecoach.errors import ModelError
    from hingecoach.pose import models as m

    specs = m.load_manifest(args.manifest)
    if args.names:
        chosen = [m.find(n, specs) for n in args.names]
    elif args.action == "fetch":
        chosen = [m.find(m.DEFAULT_POSE_MODEL, specs)]
    elif args.action == "verify":
        # The default pose model must be there; the others only when present.
        directory = args.dir or m.models_dir()
        chosen = [s for s in specs if s.name == m.DEFAULT_POSE_MODEL
                  or (directory / s.file).exists()]
    else:
        chosen = specs
    directory = args.dir or m.models_dir()

    if args.action == "fetch":
        for spec in chosen:
            st = m.fetch(spec, directory, force=args.force,
                         progress=m.terminal_progress(spec.name))
            print(f"{spec.name}: {st.state} ({st.path}, {st.detail})")
        return 0

    bad = []
    for spec in chosen:
        st = m.check(spec, directory)
        if args.action == "list":
            print(f"{spec.name:24} {st.state:9} {spec.size or '?':>10} bytes  {spec.licence}\n"
                  f"{'':24} {spec.file} <- {spec.url}")
        else:
            print(f"{spec.name}: {st.state} ({st.detail})")
            if st.state != "ok":
                bad.append(spec.name)
    if bad:
        # verify: say which failed on stderr via the one-line error path.
        sys.stdout.flush()
        raise ModelError(f"{', '.join(bad)} not ok: run `hingecoach models fetch "
                         f"{' '.join(bad)}`")
    return 0
