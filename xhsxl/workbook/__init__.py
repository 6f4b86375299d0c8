"""Workbooks: the template, filling and reading client workbooks, batch generation and recalculation."""
