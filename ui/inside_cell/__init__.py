"""Inside the cell: the page's data (models, traces), panels, views and training panel."""
