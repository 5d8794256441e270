"""Provider workspace, part 2: running a course (rosters, attendance, completion, assisted
enrolment, capacity and cancellation, the provider overview). Mounted at /staff/run/."""
