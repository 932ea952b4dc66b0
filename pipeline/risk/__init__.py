"""The risk pipeline's Python side: refresh the SQL risk tables, train the model, backtest."""
