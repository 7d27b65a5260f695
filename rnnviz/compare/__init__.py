"""Compare cells: configurations at matched budgets, trained by the existing trainers, statistics over seeds."""

from rnnviz.compare.configs import Budget, Configuration, check_configurations
from rnnviz.compare.matching import recurrent_parameters, solve_hidden_size
from rnnviz.compare.runner import GridState, RunRecord, grid_target, run_grid, run_one, size_configurations
from rnnviz.compare.statistics import Summary, Verdict, compare, sentence, summarize
from rnnviz.compare.tasks import TASK_CHOICES, ComparisonTask, make_comparison_task

__all__ = [
    "TASK_CHOICES",
    "Budget",
    "ComparisonTask",
    "Configuration",
    "GridState",
    "RunRecord",
    "Summary",
    "Verdict",
    "check_configurations",
    "compare",
    "grid_target",
    "make_comparison_task",
    "recurrent_parameters",
    "run_grid",
    "run_one",
    "sentence",
    "size_configurations",
    "solve_hidden_size",
    "summarize",
]
