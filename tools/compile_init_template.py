"""Write the 0.49 init-script template compiled to Python by jinja2
(src/consul_inject/webhooks/v0_49/initscript_compiled.py), so that a run does not compile it
(about 30 ms). Run it after editing connect-init.sh.j2; a unit test says when it is stale.

    python tools/compile_init_template.py
"""

from __future__ import annotations

from pathlib import Path

from consul_inject.webhooks.v0_49 import containers

TARGET = Path(containers.__file__).with_name("initscript_compiled.py")


def main() -> int:
    TARGET.write_text(containers.compiled_module_text(), encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
