"""The page's sentences."""

INTRO = (
    "Race recurrent cells on one task under the same budget and several seeds, as the lecture's homework asks: "
    "*implement LSTM and SRU instead of GRU, add layers, make it bidirectional, and discuss*. A fair race matches "
    "the **number of parameters** (the page solves each cell's hidden size) or the wall-clock time, not the hidden "
    "size alone: at matched parameters the common cells store about as much per parameter and differ mostly in how "
    "easily they train (Collins, Sohl-Dickstein & Sussillo 2017); GRU and LSTM come out close (Chung et al. 2014; "
    "Greff et al. 2017); SRU's recurrence is elementwise, so most of its work runs in parallel over time "
    "(Lei et al. 2018). Every run trains in the background, one after another; Stop ends them all."
)
