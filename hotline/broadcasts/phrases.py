"""What a recipient reads and hears, per language: the SMS, the call, the email, the reply page.

The recipient's language picks the table (`language`); a broadcast's body comes from the admin,
these are the words around it. The answers themselves come from `hotline.broadcasts.questions`.
"""

from __future__ import annotations

from hotline.broadcasts.questions import Question

TEXTS: dict[str, dict[str, str]] = {
    "en-US": {
        "from": "{org}: {body}",
        "sms_question": "{prompt} Reply {choices}.",
        "choice": "{key} = {label}",
        "sep": ", ",
        "voice_intro": "This is a message from {org}.",
        "voice_choice": "Press {key}: {label}.",
        "voice_again": "Here is the message again.",
        "thanks": "Thank you. Your answer is recorded: {label}.",
        "thanks_help": "Thank you. Your answer is recorded: {label}. Someone will contact you as soon as possible.",
        "goodbye": "Goodbye.",
        "email_answer": "Answer with one click:",
        "email_unsubscribe": "To stop these emails:",
        "page_confirm": "Confirm your answer",
        "page_used": "This link was used already. Your answer is recorded.",
        "page_bad": "This link is not valid. Reply to the message instead, or call {hotline}.",
        "page_done": "Thank you. Your answer is recorded: {label}.",
        "unsubscribed": "You will get no more broadcast emails from {org}.",
    },
    "zh-TW": {
        "from": "{org}：{body}",
        "sms_question": "{prompt}請回覆 {choices}。",
        "choice": "{key}＝{label}",
        "sep": "，",
        "voice_intro": "這是來自{org}的訊息。",
        "voice_choice": "{label}，請按 {key}。",
        "voice_again": "以下再播放一次。",
        "thanks": "謝謝，已記錄您的回覆：{label}。",
        "thanks_help": "謝謝，已記錄您的回覆：{label}。我們會盡快與您聯絡。",
        "goodbye": "再見。",
        "email_answer": "點一下即可回覆：",
        "email_unsubscribe": "不想再收到這類郵件：",
        "page_confirm": "確認您的回覆",
        "page_used": "此連結已使用過，您的回覆已記錄。",
        "page_bad": "此連結無效。請直接回覆訊息，或撥打 {hotline}。",
        "page_done": "謝謝，已記錄您的回覆：{label}。",
        "unsubscribed": "您將不再收到{org}的廣播郵件。",
    },
}


def language(lang: str | None) -> str:
    return lang if lang in TEXTS else "en-US"


def text(lang: str | None, name: str, **values: object) -> str:
    return TEXTS[language(lang)][name].format(**values)


def sms_body(org: str, body: str, question: Question | None, lang: str) -> str:
    """"Example Org: <message> Are you safe? Reply 1 = I am safe, 2 = I need help." """
    said = text(lang, "from", org=org, body=body.strip())
    if question is None:
        return said
    choices = text(lang, "sep").join(text(lang, "choice", key=a.key, label=question.label(a.key, lang))
                                     for a in question.answers)
    prompt = question.prompt.get(language(lang)) or next(iter(question.prompt.values()))
    return f"{said} {text(lang, 'sms_question', prompt=prompt, choices=choices)}"


def voice_menu(question: Question, lang: str) -> str:
    prompt = question.prompt.get(language(lang)) or next(iter(question.prompt.values()))
    return " ".join([prompt, *(text(lang, "voice_choice", key=a.key, label=question.label(a.key, lang))
                                for a in question.answers)])


def thanks(question: Question, key: str, lang: str) -> str:
    answer = question.answer(key)
    return text(lang, "thanks_help" if answer and answer.needs_help else "thanks", label=question.label(key, lang))
