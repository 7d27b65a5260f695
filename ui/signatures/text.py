"""The Signature verification page's fixed text: the paper, the data, the protocol, how to read each chart."""

INTRO = (
    "Tolosana, Vera-Rodriguez, Fierrez & Ortega-Garcia (2018), *Exploring Recurrent Neural Networks for On-Line "
    "Handwritten Signature Biometrics*, describe every pen sample of a signature by **23 time functions** "
    "(their Table 1), compare two signatures with a Siamese RNN, and measure a **DTW baseline** (their Table 4) "
    "by the **equal error rate** (EER: the threshold where as many forgeries are accepted as genuine "
    "signatures rejected).\n\n"
    "**Our data is not the paper's.** The paper used BiosecurID (400 users); we use the public **SVC2004 Task 2** "
    "set (40 users × 20 genuine signatures and 20 skilled forgeries, pen tablet at 100 Hz; Yeung et al., "
    "*SVC2004: First International Signature Verification Competition*, ICBA 2004). Compare our numbers with "
    "the paper's as orderings and trends, not as equal figures."
)

PROTOCOL = (
    "**Protocol.** The users are shuffled (seed 0) into 5 folds; each fold's users are tested once, and no user "
    "is in two parts. For a test user: references S1–S10, genuine probes S11–S20, skilled forgeries S21–S40, "
    "random forgeries = the genuine probes of the fold's other test users. **1vs1** scores a probe against one "
    "reference (each of S1–S10 in turn); **4vs1** averages its scores against the four enrolment signatures "
    "S1–S4. DTW needs no training, so the training and validation users of a fold are not used here."
)

DTW_METHOD = (
    "**DTW** (dtaidistance, exact, no window) aligns the two sequences of time-function vectors; the cost is the "
    "sum of Euclidean distances along the best path divided by the two lengths added; the score is minus that "
    "cost. **User-normalised** divides it by the user's own spread: the mean cost between the user's four "
    "enrolment signatures, two by two (the paper does not say it normalises; it helps here, so both are shown)."
)

TRAJECTORY = (
    "The pen path as the tablet recorded it: one line per pen-down stroke (the pen in the air is not "
    "sampled), each dot a sample 10 ms apart, its colour the pen pressure."
)

FUNCTIONS = (
    "Each panel is one time function of Table 1 for this signature, against the sample number n, after "
    "normalisation to mean 0 and variance 1 over the signature (so the y axis is in standard deviations). "
    "Hover for values."
)

DET = (
    "A DET curve shows, for every threshold, the share of forgeries accepted (x) against the share of genuine "
    "signatures rejected (y), both on probit axes (so normal score distributions draw straight lines). Lower "
    "left is better; the dot is the EER, where the curve crosses the dotted FAR = FRR line. Points at 0 % are "
    "drawn on the axis edge (0.1 %)."
)

HISTOGRAM = (
    "How the scores of each kind of trial fall: genuine (green), skilled forgeries (red), random forgeries "
    "(blue), each as a share of its own trials. The dashed line is the EER threshold for the kind of "
    "forgery chosen: trials to its right are accepted."
)

VERIFY = (
    "Pick whose signature is claimed and which signature is shown: the page scores it against the claimed "
    "user's four enrolment signatures (4vs1, user-normalised DTW) and accepts it when the score reaches the "
    "skilled-forgery EER threshold of the full SVC2004 evaluation."
)

FORMULA_NOTE = (
    "Dots are derivatives over the sample number n, as regressions over ±2 samples: "
    "ḟₙ = (1/10) Σₖ₌₁² k (fₙ₊ₖ − fₙ₋ₖ). The plot shows the function after normalising it to mean 0 and "
    "variance 1 over the signature."
)
