func runCompare(_ args: [String]) throws { throw UsageError("compare: not yet") }
