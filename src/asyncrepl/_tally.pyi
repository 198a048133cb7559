from array import array

def tally(
    task_ids: array[int], starts: array[float], ends: array[float], /
) -> tuple[array[int], array[float], array[float], array[float], array[int]]: ...
