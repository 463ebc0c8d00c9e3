"""The weekly ritual's scheduler: when jobs are due, one at a time, every run recorded.

`timing` works out fire times, deadlines and retries (pure); `lock` keeps one refresh
running across processes; `runs` records every run; `jobs` is the refresh itself;
`due` decides what is due now and runs it (`wbr scheduler --once` is one call of it);
`service` is the long-running APScheduler process; `freshness` tells the deck.
"""
