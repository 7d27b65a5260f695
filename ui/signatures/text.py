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
    "enrolment signatures, two by two (the paper does not say it normalises; it helps here, so both are shown). "
    "**Cohort-normalised** anchors both ends: 0 at that spread, −1 at the mean cost of the references to a cohort "
    "of other people's genuine signatures (S1 and S2 of every user outside the fold's test users, so no test user "
    "is in it), with costs divided by the square root of the two lengths added. It is the best here: 4vs1 11.00 % "
    "skilled / 0.25 % random, 1vs1 12.90 % / 0.25 % (user-normalised: 12.25 / 0.25 and 15.47 / 0.35). The "
    "verifier below and the pad use the user-normalised score.\n\n"
    "**Which time functions.** By default DTW compares 7 of the 23: ẋ, ẏ, pressure z, speed v, tangent angle θ and "
    "sin α, cos α (Table 1 numbers 8, 9, 3, 5, 4, 20, 21), each normalised to mean 0 and variance 1 over its "
    "signature. Measured on all 40 users (5 folds, each user tested once), 4vs1 user-normalised: 12.25 % skilled "
    "and 0.25 % random EER, against 13.00 % and 0.36 % with all 23 (1vs1: 15.47 % against 16.43 % skilled). We "
    "also tried, and dropped: the minimum instead of the mean over the four references (worse: 14.5 % skilled), "
    "a z-score against the reference distances (25 % skilled: six reference pairs give too noisy a spread), a "
    "penalty on the length difference, squared instead of plain Euclidean distances, a Sakoe-Chiba window (all "
    "worse or equal), dividing by the warping path's length instead of the two lengths (12.50 % / 0.25 %), and "
    "not dividing at all (11.50 % skilled but 0.71 % random: longer forgeries then cost more, and so do other "
    "users' longer signatures). Pick “all of Table 1” or your own subset to compare."
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

SIAMESE_METHOD = (
    "**Siamese RNNs** (Figure 5 of the paper): both signatures go through the *same* first recurrent layer "
    "(46 units; LSTM, GRU, or their bidirectional versions BLSTM, BGRU), its two output sequences are joined "
    "sample by sample and read by a second recurrent layer (23 units), and one sigmoid unit says how likely the "
    "two share a writer. Training is **writer-independent**: pairs come only from the fold's training users "
    "(half genuine pairs, half impostors of the scenario: skilled forgeries, other users' signatures, or both), "
    "and the weights kept are those of the step with the best EER on the validation users. Two choices of "
    "ours: each signature is resampled to 64 samples so pairs batch without padding, and the score averages "
    "both input orders, so score(a, b) = score(b, a)."
)

CURVES = (
    "Solid: the training loss (binary cross-entropy of the pairs of each batch, left axis). Dotted: the EER on "
    "the validation users (mean of skilled and random, right axis), measured every 50 steps. The green line is "
    "the step whose weights scored best on validation, the star its EER: those weights are kept, as the paper's "
    "Figure 6 marks. A loss falling to 0 while the validation EER stays flat is overfitting: the model learns "
    "the training users' pairs by heart, not what tells a forgery apart."
)

TWO_STAGE = (
    "Stage 1, DTW (4vs1, user-normalised{functions}), rejects a signature that is unlike the references: its cut "
    "({threshold:.3f}) is set on the validation users so that it rejects only 1 % of their genuine signatures. "
    "Stage 2 decides the rest: either the RNN trained on skilled + random alone, or a fusion, standardised DTW "
    "plus a weight times the standardised RNN score, the weight chosen on the validation users ({weights}; 0 means "
    "the RNN did not help there, so the fusion is DTW alone). EER of the stages alone and together, on the same "
    "test users."
)


def two_stage_caption(about: dict) -> str:
    """The two-stage caption with the summary's cut, DTW functions and fusion weights."""
    numbers = about.get("dtw_time_functions")
    functions = f", time functions {', '.join(map(str, numbers))} of Table 1" if numbers else ""
    weights = about.get("fusion_weights") or {}
    listed = ", ".join(f"{system} {weight:g}" for system, weight in weights.items()) or "not measured"
    return TWO_STAGE.format(threshold=about.get("stage_one_threshold", float("nan")), functions=functions, weights=listed)


TRAIN = (
    "Pick a system and scenario and press Train: the loss and the validation EER appear live, Stop ends the run "
    "at once and keeps the best step so far. Afterwards the kept weights score the fold's test users. On two "
    "busy CPU cores 300 steps take one to three minutes."
)

LIVE_NOTE = "one fold's 8 test users; the tables above hold the same fold's runs of 1,000 steps at most."


def siamese_caption(about: dict) -> str:
    """Where the Siamese numbers come from."""
    users = about.get("test_users", [])
    return (
        f"SVC2004, fold {about.get('fold', 0)} of 5: trained on its training users, best step on its validation "
        f"users, tested on its {len(users)} test users ({', '.join(map(str, users))}), at most "
        f"{about.get('steps', '?')} steps (200 s) per run on a busy 2-core CPU. The other folds were not trained "
        "(time). In grey brackets: Tolosana et al. (2018), BiosecurID, 400 users; compare orderings, not values."
    )


PAD = (
    "Sign in the box with a mouse, a pen or a finger and press “Use this signature”: the first four are your "
    "enrolment, every later one is verified against them (4vs1). Sign a fifth time yourself, then ask a "
    "neighbour to forge it. A mouse has no pressure, so its drawings use DTW's time functions without z and ż; the "
    "DTW threshold is the skilled-forgery EER threshold of SVC2004 (tablet signatures, so treat it as a rough "
    "guide), the BLSTM is the shipped model (trained with pressure: for a mouse it sees a flat pressure)."
)

ORGANISERS = (
    "**The SVC2004 organisers' protocol** (Yeung et al. 2004): for every user, 10 trials, each enrolling 5 of "
    "S1–S10 drawn at random, then scoring the 10 genuine probes S11–S20, the 20 skilled forgeries S21–S40 and 20 "
    "random forgeries (one genuine signature of each of 20 other users, drawn once per user, seed 0). The score is "
    "the mean user-normalised DTW score against the 5 references, or the cohort-normalised one (its cohort: S1 and "
    "S2 of the users who are neither the claimed user nor one of its 20 random forgers). SVC2004 reported an "
    "*average* EER with its standard deviation and maximum, which we read as one EER per user and trial, each at "
    "its own threshold, averaged; that is far lower than one threshold for every trial, so both are shown. A "
    "threshold per user is chosen after seeing that user's forgeries: it tells how well each user's scores "
    "separate, not what a deployed system with one threshold would reach."
)

PER_USER = (
    "The first three rows use one threshold for every trial of every user, as a deployed system would and as the "
    "paper reports. The last two give each user a threshold of their own, set after seeing that user's "
    "forgeries, and average the users' EERs: it shows how well each user's scores separate (SVC2004's "
    "competition figures, 2.89 % for the best Task 2 team, are of this kind as we read its report), but no "
    "system knows those thresholds in advance."
)
