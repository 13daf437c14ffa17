# Sourced by the shell test scripts: a counted check and the "N passed, N failed" verdict
# every test of this project prints.
passed=0
failed=0

# check DESCRIPTION COMMAND...: runs COMMAND, counts it, names it when it fails.
check() {
	desc=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $desc" >&2
	fi
}

# Prints the verdict; its status is the scripts' exit status.
verdict() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
