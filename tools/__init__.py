"""Helper commands for ml-platform, run as ``python -m tools.<name>`` from the repository root.

Lambdas and training scripts import their siblings as top-level modules, as they do when deployed
(Lambda asset root, SageMaker source dir); the same folders go on the path here.
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

for _folder in ("lambdas", "training_scripts"):
    _path = str(REPO_ROOT / _folder)
    if _path not in sys.path:
        sys.path.insert(0, _path)
