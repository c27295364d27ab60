#!/bin/sh
# cligate-shim @TOOL@ (written by `cligate shims install`, removed by `cligate shims uninstall`)
#
# Typing `@TOOL@ ARGS...` runs `cligate run @TOOL@ ARGS...`: the tool starts behind cligate's
# private proxy. CLIGATE_BYPASS=1 runs the real @TOOL@ directly. The real @TOOL@ is the first one
# on PATH that is not a cligate shim (cligate looks for it the same way), so no shim ever
# starts itself.

tool=@TOOL@
install_hint=@INSTALL_HINT@
# The Python that runs cligate, written at install time; empty: the `cligate` on PATH.
cligate_python=@CLIGATE_PYTHON@

fail() {
    printf 'cligate shim: %s\n' "$*" >&2
    exit 127
}

# A cligate shim: a script that says "cligate run" near its start (a real binary does not).
# When grep cannot tell, the file counts as a shim: it is never run.
is_shim() {
    dd if="$1" bs=4096 count=1 2>/dev/null | grep -q 'cligate run'
    [ $? -ne 1 ]
}

if [ "${CLIGATE_BYPASS:-}" = 1 ]; then
    command -v dd >/dev/null 2>&1 && command -v grep >/dev/null 2>&1 ||
        fail "CLIGATE_BYPASS=1 needs dd and grep on PATH to tell the real $tool from shims"
    unset CLIGATE_SHIM_PID
    set -f
    IFS=:
    for dir in $PATH; do
        candidate=${dir:-.}/$tool
        if [ -f "$candidate" ] && [ -x "$candidate" ] && ! is_shim "$candidate"; then
            exec "$candidate" "$@"
        fi
    done
    unset IFS
    fail "no real $tool on PATH, only cligate shims; install it with: $install_hint"
fi

# cligate starts the real tool as its child. A shim started by that cligate (or exec'd in its
# place) means something resolved the tool to a shim: stop here rather than loop.
if [ "${CLIGATE_SHIM_PID:-}" = "$$" ] || [ "${CLIGATE_SHIM_PID:-}" = "$PPID" ]; then
    fail "$0 was started in place of the real $tool; stopping so that cligate does not" \
        "start itself again (CLIGATE_BYPASS=1 $tool runs the real one without cligate)"
fi
CLIGATE_SHIM_PID=$$
export CLIGATE_SHIM_PID

if [ -n "$cligate_python" ]; then
    [ -x "$cligate_python" ] ||
        fail "$cligate_python (the Python cligate was installed with) is gone;" \
            "reinstall cligate and run: cligate shims install"
    exec "$cligate_python" -P -m cligate run "$tool" "$@"
fi
command -v cligate >/dev/null 2>&1 ||
    fail "cligate is not on PATH (CLIGATE_BYPASS=1 $tool runs the real one without it)"
exec cligate run "$tool" "$@"
