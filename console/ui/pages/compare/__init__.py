"""The Side by side page: one prompt, N models in streaming columns, their figures and a chart."""
