# nbgrader's configuration for the ndlens exercises: nbgrader knows no Rust
# of its own, so this tells it what a student's version of a solution is.
# Add these lines to your course's nbgrader_config.py (see the README).
c = get_config()  # noqa: F821 (nbgrader defines it)

# What replaces each `// ### BEGIN SOLUTION` ... `// ### END SOLUTION`
# region in the student's version: the function compiles, and its check
# says it is not answered yet.
c.ClearSolutions.code_stub = {"rust": "// YOUR CODE HERE\ntodo!()"}
