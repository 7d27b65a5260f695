"""The Compare cells page: task, configurations and budget, the live race, the results and the homework."""
