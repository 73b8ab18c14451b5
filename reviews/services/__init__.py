"""Annual review use cases, one module per part of the job.

``opening``: open a review (by hand, or by beat ahead of the anniversary);
``lifecycle``: the board's record and the moves (circulate, freeze, return,
close); ``board``: who signs and what must hold first; ``amendments``:
propose, edit (the only editor of a held draft's terms) and withdraw;
``signatures``: sign or reject, and what the pages show of it; ``packets``:
render outside any transaction, then store; ``comments``; ``renewals``: the
renewal reminders. ``_common`` holds what they share (states, lock order,
roles, notices)."""
