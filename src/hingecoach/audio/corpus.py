"""Synthetic speech corpus for tuning and checking the recogniser (espeak-ng).

Three DISJOINT splits of voices, speeds, noise and ordinary sentences, so reported
accuracy is honest:

* ``tune``    - the only data the rejection threshold was fitted on (bench/voice_tune.py).
* ``test``    - what tests/test_voice_*.py speak (never used for tuning).
* ``holdout`` - used by nothing but ``bench/voice.py`` (never used for tuning or tests;
  it did guide the choice of front-end: the noise floor and pronunciations were checked on it).
* ``fresh``   - added after that work and run once, for the closing figures: voices,
  variants, speeds, noises and sentences no decision was ever based on.
* ``other``   - added 2026-11-22 and run once, for the closing figures: voices of two
  other synthesizers (flite's CMU ARCTIC voices, which are built from recordings of real
  speakers, and festival's), so a head trained on espeak-ng alone is checked on speech
  espeak-ng never made. Needs ``apt install flite festival festvox-kdlpc16k
  festvox-us-slt-hts``; used by nothing but ``bench/voice.py --split other``.
* ``select``  - added 2026-11-23 for choosing between heads (``bench/voice_tune.py rule
  --split select``): 648 commands, twice the test split, because test alone could not tell
  heads apart (session 13 in the README). Speaks the test sentences; never used for training.
* ``train``   - more speakers for training the embedding intent head
  (:mod:`hingecoach.audio.embedding`) with ``tune``: the tune voices at other speeds and
  pitches, and 66 espeak-ng voice variants that test, holdout and fresh never use (:data:`TRAIN_VARIANTS`);
  it speaks the tune sentences, its own ``train`` sentences (and fragments of them) and the
  cue-like phrases, never another split's.

Command phrases are the same in every split (they are the product); the speaking
conditions differ. Ordinary sentences differ per split. Cue-like phrases (coaching
sentences in our own words, including command words inside longer cues) are in
``tune`` only; the coach's real catalogue is checked separately.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hingecoach.audio.pcm import Audio, add_noise, coloured_noise, pad, resample

ASR_RATE = 16000


@dataclass(frozen=True)
class Condition:
    """How one utterance is spoken.

    Attributes:
        voice: espeak-ng voice[+variant].
        wpm: speaking rate, words per minute.
        noise: ``clean`` | ``white`` | ``pink`` | ``brown`` | ``babble`` (holdout's
            talkers) | ``chatter`` (other talkers, for tuning).
        snr_db: speech-to-noise ratio in decibels (ignored when clean).
        pitch: espeak pitch 0..99 or None.
    """

    voice: str
    wpm: int
    noise: str = "clean"
    snr_db: float = 99.0
    pitch: int | None = None

    @property
    def label(self) -> str:
        n = "clean" if self.noise == "clean" else f"{self.noise}{self.snr_db:g}dB"
        return f"{self.voice}@{self.wpm}/{n}"


def _grid(voices: list[str], speeds: list[int], noises: list[tuple[str, float]]) -> list[Condition]:
    out = []
    for i, v in enumerate(voices):
        for j, s in enumerate(speeds):
            # every voice/speed pair gets clean plus one noise (rotating), keeping the set small
            out.append(Condition(v, s))
            nz, snr = noises[(i + j) % len(noises)]
            out.append(Condition(v, s, nz, snr))
    return out


CONDITIONS: dict[str, list[Condition]] = {
    "tune": _grid(
        ["en-us", "en-gb+m3", "en-gb-x-rp+f2", "en-us+m1"],
        [150, 185],
        [("white", 15.0), ("pink", 12.0)],
    )
    + _grid(
        ["en-us+m5", "en-gb+f1", "en+michael", "en-gb-x-rp+klatt3"],
        [135, 210],
        [("chatter", 15.0), ("white", 10.0), ("pink", 18.0)],
    ),
    "test": _grid(
        ["en-gb-scotland+m2", "en-us+f3", "en-029"],
        [140, 175],
        [("pink", 15.0), ("white", 20.0), ("pink", 10.0)],
    ),
    "holdout": _grid(
        ["en-gb-x-gbclan+Andy", "en-us-nyc+f4", "en-gb-x-gbcwmd+klatt", "en+Alicia"],
        [125, 200],
        [("brown", 10.0), ("babble", 15.0), ("white", 12.0)],
    ),
    "fresh": _grid(
        ["en-gb+m6", "en-us+f5", "en-us-nyc+m7", "en-gb-x-gbclan+norbert", "en+Denis", "en-gb+Andrea"],
        [115, 165, 220],
        [("white", 10.0), ("pink", 18.0), ("brown", 15.0)],
    ),
    # other synthesizers (see :func:`other_16k`); speeds are nominal (170 wpm = the voice's own)
    "other": _grid(
        ["flite:awb", "flite:rms", "flite:slt", "flite:kal16", "festival:ked_diphone",
         "festival:cmu_us_slt_arctic_hts"],
        [130, 170, 215],
        [("pink", 12.0), ("babble", 15.0), ("white", 15.0), ("brown", 12.0)],
    ),
}

#: espeak-ng voice variants for the ``train`` split: none of them is used by test, holdout or
#: fresh (those use m2, f3, f4, f5, m6, m7, Andy, Alicia, klatt, norbert, Denis, Andrea).
TRAIN_VARIANTS = [
    "m1", "m3", "m4", "m5", "m8", "f1", "f2", "klatt2", "klatt4", "klatt5", "Alex", "Annie", "Gene",
    "Henrique", "Hugo", "Jacky", "Lee", "Mario", "Mike", "adam", "anika", "aunty", "belinda",
    "benjamin", "boris", "caleb", "david", "ed", "edward", "grandma", "grandpa", "iven", "john",
    "linda", "max", "michel", "paul", "quincy", "rob", "robert", "shelby", "steph", "travis",
    "victor", "zac",
    # added 2026-11-22 (third head): the rest of espeak-ng's human-sounding variants
    "Antonio", "Diogo", "Edward2", "Gene2", "Gustave", "Iven2", "Iven3", "Iven4", "Marcelo", "Marco",
    "Miguel", "Nguyen", "Pablo", "Pedro", "RicishayMax", "Steph2", "Steph3", "Storm", "Tweaky", "klatt6",
    "sandro",
]
#: Accents of the ``train`` split (the tune split's; test, holdout and fresh add others).
TRAIN_ACCENTS = ["en-us", "en-gb", "en-gb-x-rp", "en"]


def _train_conditions() -> list[Condition]:
    """The ``train`` split: fixed pseudo-random speeds, pitches and noises (seeded)."""
    import random

    out = []
    rnd = random.Random(7)
    for v in sorted({c.voice for c in CONDITIONS["tune"]}):
        for s in (120, 165, 235):
            nz, snr = rnd.choice([("clean", 99.0), ("white", 12.0), ("pink", 10.0), ("brown", 12.0),
                                  ("chatter", 12.0), ("pink", 20.0)])
            out.append(Condition(v, s, nz, snr, pitch=rnd.choice([None, 30, 70])))
    rnd = random.Random(5)
    for i, v in enumerate(TRAIN_VARIANTS):
        for s in rnd.sample([110, 130, 150, 175, 200, 230], 2):
            nz, snr = rnd.choice([("clean", 99.0), ("white", 10.0), ("white", 16.0), ("pink", 10.0),
                                  ("pink", 16.0), ("brown", 10.0), ("brown", 16.0), ("chatter", 12.0)])
            out.append(Condition(f"{TRAIN_ACCENTS[i % 4]}+{v}", s, nz, snr, pitch=rnd.choice([None, 25, 40, 60, 75])))
    return out


CONDITIONS["train"] = _train_conditions()

#: The ``select`` split's voices (2026-11-23): the test split's accents only, so holdout, fresh
#: and other stay untouched; five espeak-ng variants no other split uses (among them
#: RicishayMax2/3, whose "echo" sounds like a reverberant room, and kaukovalta, with its first
#: formant at 40%) and seven ``train`` variants in an accent the train split never pairs them with.
SELECT_VOICES = [
    "en-gb-scotland+AnxiousAndy", "en-029+kaukovalta", "en-gb-scotland+RicishayMax2", "en-029+RicishayMax3",
    "en-gb-scotland+croak", "en-029+Annie", "en-gb-scotland+boris", "en-029+quincy", "en-gb-scotland+linda",
    "en-029+Gene", "en-gb-scotland+m4", "en-029+grandma",
]


def _select_conditions() -> list[Condition]:
    """The ``select`` split: each voice at one speed, clean and in one noise."""
    speeds = [130, 160, 195, 230]
    noises = [("white", 12.0), ("pink", 16.0), ("brown", 12.0), ("chatter", 15.0)]
    out = []
    for i, v in enumerate(SELECT_VOICES):
        out += [Condition(v, speeds[i % 4]), Condition(v, speeds[i % 4], *noises[i % 4])]
    return out


CONDITIONS["select"] = _select_conditions()


#: Ordinary speech (not commands), per split. Some contain command words on purpose.
SENTENCES: dict[str, list[str]] = {
    "tune": [
        "I would like a cup of coffee",
        "what time is it",
        "the weather is nice today",
        "can you pass me the water bottle",
        "my back feels a little tight",
        "I need to stop eating so much sugar",
        "let me grab my phone",
        "did you see the game last night",
        "this is harder than it looks",
        "I will start tomorrow morning",
        "where did I put my keys",
        "the dog needs a walk",
        "turn the music down a bit",
        "that was a good workout",
        "I am going to the shop later",
        "hold the door for me",
        "we should paint the kitchen",
        "my knees are sore",
        "who left the lights on",
        "how was your day",
        "put the kettle on",
        "I feel great today",
        "can you help me move the couch",
        "let's try again later",
        "the wall needs a new shelf",
        "I forgot to call my mother",
        "pause the movie when you go",
        "maybe we should order pizza",
        "that looks about right",
        "I am really tired",
        "she said she would be late",
        "my hamstrings are burning",
        "one more set and I am done",
        "it is too loud in here",
        "the next bus comes at six",
        "open the window please",
        "I think it is going to rain",
        "we drill holes in the wall",
        "how much does it cost",
        "the kids are at school",
    ],
    "test": [
        "the garden looks lovely this year",
        "please bring the groceries inside",
        "I should stretch more often",
        "are we having pasta for dinner",
        "my neighbour has a new car",
        "could you close the curtains",
        "I will continue reading my book tonight",
        "that song is stuck in my head",
        "let me check the calendar",
        "the train was late again",
        "how many people are coming",
        "I left my shoes by the door",
        "the coffee is still warm",
        "we went hiking last weekend",
        "I need a new pair of gloves",
        "the printer is out of paper",
        "nice to meet you",
        "the meeting starts at ten",
        "I am learning to play guitar",
        "can I borrow a pen",
    ],
    "holdout": [
        "my brother lives in the city",
        "we are out of milk",
        "the baby is finally asleep",
        "I will call you back later",
        "the cat jumped onto the table",
        "do you want some tea",
        "it is getting dark outside",
        "I lost my umbrella on the bus",
        "the shop closes at nine",
        "we need more chairs for the party",
        "my legs are shaking",
        "turn left at the traffic lights",
        "the soup needs more salt",
        "I can hear the neighbours",
        "she bought a new bicycle",
        "this chair is really comfortable",
        "let's go for a walk",
        "he forgot his lunch again",
        "the floor is a bit slippery",
        "I am waiting for a parcel",
        "that was the best pizza ever",
        "it smells like rain",
        "where is the remote control",
        "I need to wash the car",
        "the meeting ran over time",
        "can you hear me now",
        "I think I pulled a muscle",
        "the film starts in ten minutes",
        "what should we cook tonight",
        "my watch stopped working",
        "I really enjoyed that",
        "the water is too cold",
        "she plays the violin",
        "let me finish this email",
        "the plants need watering",
        "I am not sure about that",
    ],
    "fresh": [
        "the bakery sells fresh bread every morning",
        "my sister is moving to canada",
        "we watched a documentary about whales",
        "the car needs new tyres",
        "can you feed the fish",
        "I have a dentist appointment on friday",
        "the radio is playing jazz",
        "our team won the quiz",
        "the bathroom tap is dripping",
        "he runs five kilometres every day",
        "I prefer tea to coffee",
        "the post arrived early",
        "let me tie my laces",
        "the sun is very bright",
        "we should visit grandma soon",
        "I broke my glasses",
        "the lift is out of order",
        "which way is the station",
        "the sofa is too soft",
        "I need to charge my phone",
        "there is a spider on the ceiling",
        "the oven takes ages to heat up",
        "my favourite colour is green",
        "I am going to bed early tonight",
    ],
    "other": [
        "the garden fence blew down in the storm",
        "I forgot to buy onions",
        "my brother works nights at the hospital",
        "we are painting the kitchen yellow",
        "the bus was twenty minutes late",
        "have you fed the cat yet",
        "the printer is out of paper again",
        "I like to read before I sleep",
        "the museum is closed on mondays",
        "our neighbour has a very loud dog",
        "the gutters are full of leaves",
        "I am learning to play the guitar",
        "it snowed all night in the hills",
        "the meeting has moved to thursday",
        "my aunt collects old teapots",
        "the window will not open",
        "we had pizza for dinner",
        "my knee hurts when it rains",
        "the train to leeds is full",
        "the ferry leaves at half past nine",
        "we ran out of printer ink",
        "turn left at the church",
        "the shop shuts at six",
        "the carpet in the hall is worn",
    ],
    # For the embedding head only (bench/voice_tune.py head): everyday talk, gym talk, command
    # words inside ordinary sentences, questions and short remarks. Written for this list;
    # none is (or paraphrases) a sentence of another split.
    "train": [
        "the washing machine has finished",
        "I left the car keys on the counter",
        "we are meeting them at the restaurant",
        "the football starts at eight",
        "my phone battery is almost empty",
        "do you know where the scissors are",
        "I have to pick up the kids at three",
        "the heating is not working properly",
        "could you take the bins out",
        "I think the milk has gone off",
        "the new neighbours seem friendly",
        "we need to book the holiday soon",
        "my coffee went cold",
        "the internet is really slow today",
        "I will text you when I get there",
        "the roads were icy this morning",
        "have you seen my blue jumper",
        "the dishwasher needs emptying",
        "I am meeting a friend for lunch",
        "the price of petrol went up again",
        "they are building a new school nearby",
        "I can never remember his name",
        "the leaves are turning orange",
        "we should clean the garage this weekend",
        "the chicken needs another ten minutes",
        "my cousin is getting married in june",
        "I have a headache",
        "the match was cancelled because of the rain",
        "it was quiet at work today",
        "the hoover is making a strange noise",
        "can you lend me five pounds",
        "I ordered a new desk chair",
        "the children are playing in the garden",
        "she works at the hospital",
        "the museum is free on sundays",
        "I need to renew my passport",
        "this bread is a bit stale",
        "the bus driver was very kind",
        "our flight leaves at six in the morning",
        "I prefer the window seat",
        "the printer jammed again",
        "we watched the fireworks from the hill",
        "he is always late for dinner",
        "the grass needs cutting",
        "I bought too many bananas",
        "there is a queue at the post office",
        "my shoulder clicks when I lift my arm",
        "we had a barbecue on saturday",
        "the tomatoes are nearly ripe",
        "I am saving up for a new bike",
        "the doctor said to rest for a week",
        "the fridge is humming loudly",
        "she is learning to speak spanish",
        "I put the receipt in the drawer",
        "the car park was completely full",
        "the candles smell of vanilla",
        "my laptop keeps crashing",
        "he walks the dog every evening",
        "the sandwiches are in the fridge",
        "they moved to a bigger house",
        "I cannot find the charger",
        "we missed the last train home",
        "the towels are still damp",
        "my grandad tells the same jokes",
        "the streetlights came on early",
        "the pharmacy shuts at six",
        "I need to water the tomatoes",
        "the soup is too spicy for me",
        "we painted the fence last summer",
        "my daughter lost a tooth today",
        "the teacher gave us extra homework",
        "the bridge is closed for repairs",
        "I am allergic to cats",
        "the kettle takes forever to boil",
        "he fixed the leak under the sink",
        "the snow melted overnight",
        "I want to learn the piano",
        "the shop on the corner sells great cheese",
        "my trainers are falling apart",
        "the curtains need washing",
        "our car failed its test",
        "the parcel was left next door",
        "we played cards until midnight",
        "I have run out of stamps",
        "the baby kept us awake",
        "she painted a picture of the sea",
        "the rent is due on monday",
        "I must buy a birthday card",
        "the garden gate squeaks",
        "the hotel had a lovely view",
        "my calves are tight after running",
        "I did three sets of squats yesterday",
        "this kettlebell is heavier than the blue one",
        "my grip gives out before my legs",
        "I need new gym shoes",
        "the foam roller is under the bench",
        "we should warm up properly first",
        "my trainer says I lean forward too much",
        "I feel it mostly in my lower back",
        "can we do lunges after this",
        "I want to get stronger this year",
        "drink some water before the next round",
        "my heart rate is still high",
        "the mat is slippery when it is wet",
        "I slept badly so I feel slow",
        "stretching helps my hips a lot",
        "I hurt my wrist last month",
        "the weights are in the corner",
        "the class was packed this morning",
        "my legs feel like jelly",
        "stop the car at the next corner",
        "please stop talking during the film",
        "I had to pause my subscription",
        "we will continue this discussion tomorrow",
        "can you help me carry these bags",
        "help yourself to biscuits",
        "could you repeat your phone number",
        "the music next door is louder than usual",
        "the kids are quieter when they are tired",
        "it is easier to walk than to drive",
        "exams get harder every year",
        "the next level of the car park is full",
        "how many eggs do we need",
        "how many times have I told you",
        "hold on to the railing on the stairs",
        "start the dishwasher before bed",
        "begin with a short walk",
        "the wall in the hallway is cracked",
        "the door hinge needs oil",
        "the dentist used a tiny drill",
        "we start school again on monday",
        "she said that again and again",
        "the session ran late",
        "the previous owner left a piano",
        "end of the road, turn right",
        "resume the download when the wifi is back",
        "the drill sergeant shouted at us",
        "the hinge on the cupboard broke",
        "that level of noise is too much",
        "what is for breakfast",
        "are you coming to the party",
        "when does the shop open",
        "who wants a slice of cake",
        "is it going to snow this week",
        "why is the dog barking",
        "did you lock the back door",
        "can you turn the heating up",
        "would you like some toast",
        "where are we going on holiday",
        "have you finished your homework",
        "shall we watch a film tonight",
        "is there any more coffee",
        "which shoes should I wear",
        "do you need a lift to the station",
        "what did the doctor say",
        "oh no",
        "thank you very much",
        "good morning",
        "see you later",
        "not right now",
        "that is funny",
        "wait a second",
        "I know",
        "sounds good to me",
        "really",
        "oh well",
        "well done",
        "excuse me",
        "no problem",
        "hang on a minute",
        "come here",
        "all right then",
        "fair enough",
        "maybe later",
        "I guess so",
    ],
}

#: Coaching-style sentences (written for tuning only; not the coach's catalogue).
CUE_LIKE: list[str] = [
    "push your hips back to the wall",
    "keep your knees soft",
    "tuck your chin",
    "squeeze your glutes to stand up",
    "finish tall and do not lean back",
    "great rep",
    "slow down on the way down",
    "step an inch further from the wall",
    "stop at the wall and stand up",
    "pause at the bottom",
    "nice and easy",
    "hold on to that position",
    "next rep",
    "three",
    "ten reps done",
    "stand side on to the camera",
    "move back so I can see your feet",
    "keep your back flat",
    "good, now a little deeper",
    "that was harder, well done",
]


#: Background talkers: ``babble`` (holdout) and ``chatter`` (tune) share no text or voice.
TALKERS: dict[str, tuple[list[str], list[str]]] = {
    "babble": (
        [
            "the quarterly numbers look fine and the team is happy",
            "on sunday we drove to the coast and had fish and chips",
            "my grandmother used to grow tomatoes in the back yard",
            "the library has a new section for local history",
        ],
        ["en-gb+m1", "en-us+f2", "en-gb-scotland+f1", "en-us+m4"],
    ),
    "chatter": (
        [
            "the council will repair the bridge before the winter",
            "I read that book twice and still did not like the ending",
            "our flight was delayed so we waited at the gate for hours",
        ],
        ["en-us+m2", "en-gb+f5", "en+m8"],
    ),
}


def babble(n: int, rng: np.random.Generator, synth, kind: str = "babble") -> np.ndarray:  # noqa: ANN001
    """Babble noise: overlapping espeak talkers (:data:`TALKERS`) saying unrelated text."""
    texts, voices = TALKERS[kind]
    out = np.zeros(n)
    for t, v in zip(texts, voices, strict=True):
        x = synth(t, Condition(v, 170)).astype(np.float64)
        reps = int(np.ceil(n / max(1, len(x)))) + 1
        x = np.tile(x, reps)
        start = int(rng.integers(0, max(1, len(x) - n)))
        out += x[start : start + n]
    return out


def render(text: str, cond: Condition, seed: int = 0, synth=None) -> np.ndarray:  # noqa: ANN001
    """Speak ``text`` under ``cond``: 16 kHz int16 with 0.3 s silence either side, noise mixed
    over the whole clip (so the endpointer and recogniser see noise in the pauses too)."""
    synth = synth or espeak_16k
    x = pad(synth(text, cond), ASR_RATE, 0.3, 0.3)
    if cond.noise == "clean":
        return x
    rng = np.random.default_rng(seed)
    if cond.noise in TALKERS:
        nz = babble(len(x), rng, synth, cond.noise)
    else:
        nz = coloured_noise(len(x), cond.noise, rng)
    return add_noise(x, cond.snr_db, nz)


_CACHE: dict[tuple[str, Condition], np.ndarray] = {}


def espeak_16k(text: str, cond: Condition) -> np.ndarray:
    """Speech at 16 kHz (memoised per process): espeak-ng, or another synthesizer when the
    voice is ``flite:<voice>`` or ``festival:<voice>`` (:func:`other_16k`)."""
    if ":" in cond.voice:
        return other_16k(text, cond)
    key = (text, Condition(cond.voice, cond.wpm, pitch=cond.pitch))
    if key not in _CACHE:
        from hingecoach.audio.tts import EspeakTts

        audio: Audio = EspeakTts(cond.voice, cond.wpm, cond.pitch).render(text)
        _CACHE[key] = resample(audio, ASR_RATE).samples
    return _CACHE[key]


#: The speaking rate that ``other_16k`` takes as the voice's own (duration stretch 1.0).
OTHER_NOMINAL_WPM = 170
#: What ``other_16k`` needs (programs, by engine) and how to get it.
OTHER_PROGRAMS = {"flite": "flite", "festival": "text2wave"}
OTHER_INSTALL = "apt install flite festival festvox-kdlpc16k festvox-us-slt-hts"


def other_synth_missing() -> str | None:
    """Why the ``other`` split cannot be spoken here (a one-line fix), or None."""
    import shutil

    missing = [p for p in OTHER_PROGRAMS.values() if shutil.which(p) is None]
    return f"{', '.join(missing)} not found: {OTHER_INSTALL}" if missing else None


def command_outcome(phrase: str, heard: list) -> tuple[bool, bool]:
    """(right, taken for another) for a command clip from the intents its utterances gave
    (None = no command): right when some utterance gives the intended command and none
    gives another."""
    from hingecoach.audio.intents import parse_command

    want = parse_command(phrase)
    got = [i for i in heard if i is not None]
    bad = [i for i in got if (i.name, i.slots) != (want.name, want.slots)]
    return bool(got) and not bad, bool(bad)


def other_16k(text: str, cond: Condition) -> np.ndarray:
    """``flite:<voice>`` (``flite -voice``) or ``festival:<voice>`` (``text2wave``) speech at
    16 kHz, slowed or sped up by duration stretch ``OTHER_NOMINAL_WPM / cond.wpm`` (HTS voices:
    the engine's speed rate, its inverse)
    (memoised per process; pitch is ignored)."""
    import os
    import shutil
    import subprocess
    import tempfile

    key = (text, Condition(cond.voice, cond.wpm))
    if key in _CACHE:
        return _CACHE[key]
    engine, voice = cond.voice.split(":", 1)
    stretch = f"{OTHER_NOMINAL_WPM / cond.wpm:.3f}"
    binary = OTHER_PROGRAMS.get(engine)
    if binary is None or shutil.which(binary) is None:
        raise RuntimeError(f"{cond.voice}: {binary or engine} not found: {OTHER_INSTALL}")
    with tempfile.TemporaryDirectory() as tmp:
        out = f"{tmp}/x.wav"
        if engine == "flite":
            cmd = ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}", "-t", text, "-o", out]
            run = subprocess.run(cmd, capture_output=True, check=False, timeout=60)
        else:
            # diphone voices take Duration_Stretch; HTS voices ignore it and take the engine's speed rate
            speed = f"(set! hts_engine_params (append hts_engine_params (list (list \"-r\" {cond.wpm / OTHER_NOMINAL_WPM:.3f}))))"
            cmd = ["text2wave", "-eval", f"(voice_{voice})", "-eval", f"(Parameter.set 'Duration_Stretch {stretch})"]
            cmd += ["-eval", speed] if voice.endswith("_hts") else []
            cmd += ["-o", out]
            run = subprocess.run(cmd, input=text.encode(), capture_output=True, check=False, timeout=60)
        if run.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"{cond.voice}: {run.stderr.decode(errors='replace').strip()}")
        from hingecoach.audio.pcm import read_wav

        _CACHE[key] = resample(read_wav(out), ASR_RATE).samples
    return _CACHE[key]
