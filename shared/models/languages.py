"""The languages Windows 365 sets a new Cloud PC up in: a provisioning policy's Language & Region (its locale)."""

from __future__ import annotations

# tag -> name, as the policy's Configuration step lists them. Source: "Provide a localized Windows experience"
# (https://learn.microsoft.com/windows-365/enterprise/provide-localized-windows-experience), and Graph's
# cloudPcWindowsSetting.locale (https://learn.microsoft.com/graph/api/resources/cloudpcwindowssetting), en-US by default
LANGUAGES: dict[str, str] = {
    "ar-SA": "Arabic (Saudi Arabia)",
    "bg-BG": "Bulgarian (Bulgaria)",
    "zh-CN": "Chinese (Simplified)",
    "zh-TW": "Chinese (Traditional)",
    "hr-HR": "Croatian (Croatia)",
    "cs-CZ": "Czech (Czech Republic)",
    "da-DK": "Danish (Denmark)",
    "nl-NL": "Dutch (Netherlands)",
    "en-AU": "English (Australia)",
    "en-NZ": "English (New Zealand)",
    "en-GB": "English (United Kingdom)",
    "en-US": "English (United States)",
    "et-EE": "Estonian (Estonia)",
    "fi-FI": "Finnish (Finland)",
    "fr-CA": "French (Canada)",
    "fr-FR": "French (France)",
    "de-DE": "German (Germany)",
    "el-GR": "Greek (Greece)",
    "he-IL": "Hebrew (Israel)",
    "hu-HU": "Hungarian (Hungary)",
    "it-IT": "Italian (Italy)",
    "ja-JP": "Japanese (Japan)",
    "ko-KR": "Korean (Korea)",
    "lv-LV": "Latvian (Latvia)",
    "lt-LT": "Lithuanian (Lithuania)",
    "nb-NO": "Norwegian Bokmål (Norway)",
    "pl-PL": "Polish (Poland)",
    "pt-BR": "Portuguese (Brazil)",
    "pt-PT": "Portuguese (Portugal)",
    "ro-RO": "Romanian (Romania)",
    "ru-RU": "Russian (Russia)",
    "sr-Latn-RS": "Serbian (Latin, Serbia)",
    "sk-SK": "Slovak (Slovakia)",
    "sl-SI": "Slovenian (Slovenia)",
    "es-MX": "Spanish (Mexico)",
    "es-ES": "Spanish (Spain)",
    "sv-SE": "Swedish (Sweden)",
    "th-TH": "Thai (Thailand)",
    "tr-TR": "Turkish (Türkiye)",
    "uk-UA": "Ukrainian (Ukraine)",
}
DEFAULT_LANGUAGE = "en-US"
