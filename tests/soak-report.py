"""Summarises the JUnit files of `./dev.sh soak`: every test that failed or errored in any
round, with the rounds it failed in. Exit status 1 when anything failed or a round left no
report (the suite itself crashed or was killed)."""

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path


def main(paths):
    failed = defaultdict(list)   # test id -> [(round file, first line of the message)]
    totals = defaultdict(int)
    missing = []
    for p in map(Path, paths):
        try:
            root = ET.parse(p).getroot()
        except (OSError, ET.ParseError) as e:
            missing.append('%s (%s)' % (p.name, e))
            continue
        for case in root.iter('testcase'):
            tid = '%s::%s' % (case.get('classname'), case.get('name'))
            bad = case.find('failure')
            if bad is None:
                bad = case.find('error')
            if bad is not None:
                msg = (bad.get('message') or '').splitlines()[:1]
                failed[tid].append((p.stem, msg[0][:160] if msg else ''))
                totals['failed'] += 1
            elif case.find('skipped') is not None:
                totals['skipped'] += 1
            else:
                totals['passed'] += 1
    rounds = len({Path(p).stem.split('-', 1)[0] for p in paths})
    for tid, where in sorted(failed.items()):
        print('failed in %d of %d rounds: %s' % (len(where), rounds, tid))
        for round_, msg in where:
            print('    %s: %s' % (round_, msg))
    for m in missing:
        print('NO REPORT', m)
    print('soak: %d reports, %d test runs passed, %d failed, %d skipped; %d distinct tests '
          'failed at least once' % (len(paths), totals['passed'], totals['failed'],
                                    totals['skipped'], len(failed)))
    return 1 if failed or missing else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
