"""Coverage-guided fuzzing of the syslog reader and the classifier with atheris.

    python tests/fuzz/fuzz_syslog.py NEW_CORPUS_DIR tests/fuzz/corpus/syslog \
        -max_total_time=60 -print_final_stats=1

The seed corpus (``corpus/syslog``) is kept in the repository; inputs that found a bug are
added to it, so that ``test_fuzz_corpus.py`` replays them in every CI run. libFuzzer's
final statistics give the number of inputs tried (``stat::number_of_executed_units``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports(include=["logsleuth", "harness"]):
    import harness


def main() -> None:
    """Run libFuzzer on :func:`harness.one_input` with the command-line options given."""
    atheris.Setup(sys.argv, harness.one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
