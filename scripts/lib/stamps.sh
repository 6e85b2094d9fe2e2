# Stamps: skip a step whose inputs have not changed since it last succeeded.
# A stamp is a file holding a hash of the step's inputs, kept inside the step's output.

# inputs_hash PATH...: one hash of the names and contents of every file under the paths.
inputs_hash() {
  find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}

# stamp_matches FILE INPUTS: true when FILE exists and holds exactly INPUTS.
stamp_matches() {
  [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]
}

# stamp_write FILE INPUTS: record that the step with these inputs succeeded.
stamp_write() {
  mkdir -p "$(dirname "$1")"
  printf '%s' "$2" >"$1"
}
