"""Child processes whose life is tied to the test that started them."""


def tied(argv):
    """argv run under `setpriv --pdeathsig TERM`: if the test process is killed (a time
    limit, meson's timeout, ^C) before its teardown runs, the child gets SIGTERM instead of
    living on and holding ports, sound servers or devices. Strictly the signal follows the
    thread that started the child, so start children from the test's own thread.

    Never Python's preexec_fn for this: it runs Python code in a child forked while other
    threads of the test (FIFO feeders, output readers) may hold locks, and such a child can
    hang before exec; setpriv does it in C after exec."""
    return ['setpriv', '--pdeathsig', 'TERM', '--'] + [str(a) for a in argv]
