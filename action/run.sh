#!/usr/bin/env bash
# The GitHub Action's main step (action.yml): inputs -> ocx-release flags, run, then outputs,
# job summary and annotations (docs/cli.md, "CI front ends").
#
# Inputs come as environment variables, as action.yml maps them:
#   INPUT_MATRIX            release matrix (path, relative to the working directory)
#   INPUT_TAG               --tag (e.g. docker/metadata-action's `version` output)
#   INPUT_PACKAGE           --package (overrides the matrix's package; credentials are for its host)
#   INPUT_DRY_RUN           true|false: --dry-run (plan only; the summary says "Dry run")
#   INPUT_REGISTRY_USERNAME / INPUT_REGISTRY_PASSWORD
#                           credentials for the matrix package's registry, handed to the binary as
#                           OCX_AUTH_<SLUG>_TYPE=basic/_USER/_TOKEN/_HOST (otherwise the Docker
#                           config that docker/login-action wrote is used)
#   INPUT_SIGN_KEY          the signing key (PEM), masked, handed over as OCX_RELEASE_SIGN_KEY
#   INPUT_SHARD             release --shard PLATFORM (a CI matrix leg: content only, no tags)
#   INPUT_FINALIZE_PARTS    finalize with these part reports (whitespace-separated paths or globs)
#   INPUT_ARGS              extra arguments, shell-quoted (e.g. "--jobs 2 -v")
#   INPUT_COMMAND           release (default), or copy, cascade or ls: runs `ocx-release COMMAND ARGS
#                           --format json` instead (no matrix; INPUT_ARGS holds its arguments;
#                           INPUT_DRY_RUN adds --dry-run), its JSON as the `json` output
#   INPUT_BINARY / OCX_RELEASE_BIN   the ocx-release to run (else the one on PATH)
# Outputs: digest, tags, report, report-json, subject-name, subject-digest, subjects (to $GITHUB_OUTPUT); exit code: the binary's.
# Outside GitHub (no GITHUB_ACTIONS/GITHUB_OUTPUT) it runs the same and prints name=value lines.
# Written for bash 3.2 too (macOS runners' /bin/bash): no mapfile, no associative arrays.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
python=${OCX_ACTION_PYTHON:-python3}
on_github=false
[ "${GITHUB_ACTIONS:-}" = true ] && on_github=true

# Outside text (inputs, paths) for one log line: control characters as \xNN and backslash doubled,
# so a value can neither end the line nor start a workflow command of its own (util/escape.hpp
# does the same in the binary).
shown() {
  local LC_ALL=C
  local s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [[:cntrl:]]) out+=$(printf '\\x%02x' "'$c") ;;
      \\) out+="\\\\" ;;
      *) out+=$c ;;
    esac
  done
  printf '%s' "$out"
}

# Workflow-command data: % and line breaks as GitHub's runner decodes them.
command_data() {
  local s=${1//\%/%25}
  s=${s//$'\r'/%0D}
  printf '%s' "${s//$'\n'/%0A}"
}

# $1 is ours; every outside value in it went through shown().
usage_error() {
  if $on_github; then
    echo "::error title=ocx-release::$(command_data "$1")"
  fi
  echo "error: $1" >&2
  exit 64
}

lower() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }

matrix=${INPUT_MATRIX:-}
tag=${INPUT_TAG:-}
package=${INPUT_PACKAGE:-}
shard=${INPUT_SHARD:-}
parts_text=${INPUT_FINALIZE_PARTS:-}
user=${INPUT_REGISTRY_USERNAME:-}
password=${INPUT_REGISTRY_PASSWORD:-}
sign_key=${INPUT_SIGN_KEY:-}
command=$(printf '%s' "${INPUT_COMMAND:-release}" | tr '[:upper:]' '[:lower:]')

# Secrets first: masked before anything else is printed (the signing key line by line too).
if $on_github && { [ -n "$password" ] || [ -n "$sign_key" ]; }; then
  printf '%s\n%s\n' "$password" "$sign_key" | while IFS= read -r line; do
    # An if, not `[ … ] && echo`: an empty last line would end the loop with status 1 and
    # `set -e` would stop the step silently (a secret stored with a trailing newline).
    if [ -n "$line" ]; then echo "::add-mask::$line"; fi
  done
fi

case $command in
  release | '') [ -n "$matrix" ] || usage_error "input 'matrix' is required (path to the release matrix)" ;;
  copy | cascade | ls) [ -z "$matrix" ] || usage_error "input 'matrix' is for command release; give $command's arguments in 'args'" ;;
  *) usage_error "input 'command' must be release, copy, cascade or ls, got '$(shown "${INPUT_COMMAND:-}")'" ;;
esac

case $(lower "${INPUT_DRY_RUN:-false}") in
  true | yes | 1 | on) dry_run=true ;;
  false | no | 0 | off | '') dry_run=false ;;
  *) usage_error "input 'dry-run' must be true or false, got '$(shown "$INPUT_DRY_RUN")'" ;;
esac

if [ -n "$shard" ] && [ -n "$(printf '%s' "$parts_text" | tr -d '[:space:]')" ]; then
  usage_error "inputs 'shard' and 'finalize-parts' exclude each other (a shard job runs before finalize)"
fi

bin=${INPUT_BINARY:-${OCX_RELEASE_BIN:-}}
if [ -z "$bin" ]; then
  bin=$(command -v ocx-release 2>/dev/null) || usage_error "ocx-release not found: give input 'binary' or run action/install.sh first"
fi
[ -x "$bin" ] || usage_error "ocx-release binary '$(shown "$bin")' is not an executable file"

# Part reports: whitespace-separated paths or glob patterns, each of which must match.
parts=()
mode=release
if [ -n "$(printf '%s' "$parts_text" | tr -d '[:space:]')" ]; then
  mode=finalize
  set -f
  # shellcheck disable=SC2206 # split on whitespace (not globbed: set -f), globs expanded below
  words=($parts_text)
  set +f
  for word in ${words[@]+"${words[@]}"}; do
    found=false
    for file in $word; do # glob expansion happens here, on purpose
      if [ -e "$file" ]; then
        parts+=("$file")
        found=true
      fi
    done
    $found || usage_error "finalize-parts: nothing matches '$(shown "$word")'"
  done
elif [ -n "$shard" ]; then
  mode=shard
fi

# Extra arguments, split like a shell would (quotes honoured, nothing expanded).
extra=()
if [ -n "${INPUT_ARGS:-}" ]; then
  args_file=$(mktemp)
  if ! "$python" -c 'import shlex, sys; sys.stdout.write("\0".join(shlex.split(sys.argv[1])) + "\0")' \
    "$INPUT_ARGS" >"$args_file"; then
    rm -f "$args_file"
    usage_error "input 'args' is not valid shell quoting: $(shown "$INPUT_ARGS")"
  fi
  while IFS= read -r -d '' a; do extra+=("$a"); done <"$args_file"
  rm -f "$args_file"
fi

# Around each run of the binary: the command line shown (a log group on GitHub), and while it
# runs the runner reads no workflow commands at all, so whatever a registry or an archive makes it
# print (escaped as it is) cannot become one. The token is fresh per run.
begin_run() {
  shown_cmd=''
  for a in "$@"; do shown_cmd+=" $(shown "$a")"; done
  stop_token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  if $on_github; then
    echo "::group::$(command_data "ocx-release$shown_cmd")"
    echo "::stop-commands::$stop_token"
  else
    echo "+ ocx-release$shown_cmd" >&2
  fi
}
end_run() {
  if $on_github; then
    echo "::$stop_token::"
    echo "::endgroup::"
  fi
}

# Commands other than release (docs/cli.md "CI front ends"): COMMAND ARGS --format json, the JSON
# printed as the `json` output on one line; credentials come from the Docker config or OCX_AUTH_*.
if [ "$command" = copy ] || [ "$command" = cascade ] || [ "$command" = ls ]; then
  if [ -n "$user" ] || [ -n "$password" ]; then
    usage_error "inputs 'registry-username' and 'registry-password' are for the matrix's registry; for $command log in with docker/login-action or set OCX_AUTH_* variables"
  fi
  [ ${#extra[@]} -gt 0 ] || usage_error "input 'args' must hold $command's arguments (docs/cli.md \"$command\")"
  cmd=("$command" "${extra[@]}" --format json)
  $dry_run && cmd+=(--dry-run)
  json_file=$(mktemp)
  begin_run "${cmd[@]}"
  set +e
  "$bin" "${cmd[@]}" >"$json_file"
  rc=$?
  set -e
  end_run
  "$python" "$here/summarize.py" json "$json_file" || echo "warning: could not write the json output" >&2
  rm -f "$json_file"
  exit "$rc"
fi

# Where the report goes: a fresh directory per run, so two steps of one job never share a file.
base=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
out_dir=$(mktemp -d "$base/ocx-release.XXXXXX")
case $mode in
  shard) report="$out_dir/part-$(printf '%s' "$shard" | tr -c 'A-Za-z0-9._-' '-').json" ;;
  *) report="$out_dir/report.json" ;;
esac
stderr_file="$out_dir/stderr.log"

cmd=()
case $mode in
  finalize) cmd=(finalize "$matrix" "${parts[@]}") ;;
  *) cmd=(release "$matrix") ;;
esac
cmd+=(--report "$report")
[ -n "$tag" ] && cmd+=(--tag "$tag")
[ -n "$package" ] && cmd+=(--package "$package")
$dry_run && cmd+=(--dry-run)
[ "$mode" = shard ] && cmd+=(--shard "$shard")
cmd+=(${extra[@]+"${extra[@]}"})

# Credentials from inputs: OCX_AUTH_<SLUG>_* for the matrix package's registry (the variables OCX
# reads; <SLUG> is the host with every non-alphanumeric character as '_'). Many hosts share a slug,
# so _HOST names the one host they are for (README, "Targets and credentials").
if [ -n "$user" ] || [ -n "$password" ]; then
  if [ -z "$user" ] || [ -z "$password" ]; then
    usage_error "give both 'registry-username' and 'registry-password', or neither"
  fi
  host=$("$python" "$here/summarize.py" host "$matrix" --package "$package")
  if [ -z "$host" ]; then
    $on_github && echo "::warning title=ocx-release::registry credentials given, but the matrix package names no registry host; they are not used"
    echo "warning: registry credentials given, but the matrix package names no registry host; not used" >&2
  else
    slug=$(printf '%s' "$host" | tr -c 'A-Za-z0-9' '_')
    export "OCX_AUTH_${slug}_TYPE=basic" "OCX_AUTH_${slug}_USER=$user" "OCX_AUTH_${slug}_TOKEN=$password" \
      "OCX_AUTH_${slug}_HOST=$host"
  fi
fi

# The signing key reaches ocx-release through its environment, never the command line.
if [ -n "$sign_key" ]; then export OCX_RELEASE_SIGN_KEY="$sign_key"; fi

begin_run "${cmd[@]}"
# stderr goes to the log as it comes and to a file for the annotations; stdout passes through.
set +e
{ "$bin" "${cmd[@]}" 2>&1 1>&3 3>&- | tee "$stderr_file" >&2; } 3>&1
rc=${PIPESTATUS[0]}
set -e
end_run

"$python" "$here/summarize.py" finish --matrix "$matrix" --report "$report" --stderr "$stderr_file" \
  --mode "$mode" --shard "$shard" --rc "$rc" || echo "warning: could not write the outputs and summary" >&2
rm -f "$stderr_file"
exit "$rc"
