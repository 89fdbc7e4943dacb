"""SG6xx measurement tampering: code that changes the instruments a grader measures with."""
