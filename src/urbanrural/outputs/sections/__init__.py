"""Views of the report sections: ``view(result, page) -> dict`` builds the charts, maps and
rows a section template places. A section without a module here renders from its result
alone."""
