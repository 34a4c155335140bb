"""moto's server as the local Step Functions engine.

Runs `moto.server` with state machine execution on (moto then runs ASL with
LocalStack's interpreter), and keeps the history of every Distributed Map
child execution. moto runs a Distributed Map's children in-process and gives
their events to a throwaway event list; on AWS each child is an execution of
its own with its own history, readable with GetExecutionHistory. So that the
local run can measure those histories (their size against the 25,000-event
limit, the largest state payload) and scan them for tenant values, each
child's events are written, as GetExecutionHistory's `events` would list them,
to `$LOCAL_ENGINE_CHILD_HISTORY_DIR/<execution name>--<map run>/<item index>.json`.

Usage: python engine.py -H 127.0.0.1 -p PORT   (moto_server's own flags)
The engine calls every service (Lambda, S3) at http://localhost:$MOTO_PORT,
as the state machine's role once $LOCAL_ENGINE_CREDENTIALS exists; IAM is
checked as engine_iam.py says.
"""

import functools
import json
import logging
import os
import re
import sys

from moto import backends as moto_backends
from moto.core.config import default_user_config
from moto.server import main
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (
    distributed_item_processor_worker as worker_module,
)
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.asl.component.common.path import result_path as result_path_module
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.asl.utils import json_path as json_path_module
from moto.stepfunctions.parser.backend.execution import Execution as ParserExecution

default_user_config["stepfunctions"]["execute_state_machine"] = True

HISTORY_DIR = os.environ.get("LOCAL_ENGINE_CHILD_HISTORY_DIR")
Worker = worker_module.DistributedItemProcessorWorker
_eval_job = Worker._eval_job


def _eval_job_keeping_history(self, env, job):
    # Every frame the child opens from `env` shares its event manager.
    env.event_manager = EventManager()
    try:
        _eval_job(self, env, job)
    finally:
        # A child sees its parent's context (moto does not make it an execution).
        execution = env.states.context_object.context_object_data.get("Execution", {})
        map_run = self._map_run_record.map_run_arn.split(":")[-1]
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{execution.get('Name', 'execution')}--{map_run}")
        folder = os.path.join(HISTORY_DIR, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{job.job_index}.json"), "w") as out:
            json.dump(env.event_manager.get_event_history(), out, default=str)


if HISTORY_DIR:
    Worker._eval_job = _eval_job_keeping_history

# Per request, moto's dispatcher lists its own package's folders and
# werkzeug logs a line: together a sixth of the engine's time in the
# 1,000-recipient run, which the engine (one process, one GIL) bounds once
# it shares 2 cores with other stacks. The list does not change; errors are
# still logged.
_moto_modules = tuple(moto_backends.list_of_moto_modules())
moto_backends.list_of_moto_modules = lambda: _moto_modules
logging.getLogger("werkzeug").setLevel(logging.WARNING)
# The engine parses a state's JSONPath each time it evaluates it, building
# jsonpath_ng's lexer and parser anew: the same few dozen paths, parsed once.
json_path_module.parse = functools.lru_cache(maxsize=4096)(json_path_module.parse)
result_path_module.parse = functools.lru_cache(maxsize=4096)(result_path_module.parse)

# StopExecution: AWS describes the execution as ABORTED at once. moto's
# engine sets a stop flag and reports ABORTED when the execution's thread
# ends, which for a Distributed Map with thousands of children waiting on
# task tokens is when their heartbeats time out, minutes later.
_stop = ParserExecution.stop


def _stop_at_once(self, stop_date, error, cause):
    _stop(self, stop_date=stop_date, error=error, cause=cause)
    if self.exec_status == ExecutionStatus.RUNNING:
        self.exec_status = ExecutionStatus.ABORTED
        self.stop_date = stop_date
        self.error, self.cause = error, cause


ParserExecution.stop = _stop_at_once

# IAM: moto's check, and what the stack needs of it beyond (engine_iam.py).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine_iam  # noqa: E402

engine_iam.install()

if __name__ == "__main__":
    main(sys.argv[1:])
