"""Interface texts, Swedish first, English as an option."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

Language = Literal["sv", "en"]

TEXTS: dict[str, tuple[str, str]] = {
    "app_tagline": ("Gemensam lägesbild för trygghetsarbetet i Mjölby kommun",
                    "Joint situation picture for community safety in Mjölby"),
    "nav_start": ("Start", "Home"),
    "nav_analys": ("Analys", "Analysis"),
    "nav_patrull": ("Patrull", "Patrol"),
    "nav_belysning": ("Belysning", "Lighting"),
    "nav_report": ("Rapportera händelse", "Report an incident"),
    "nav_login": ("Logga in", "Sign in"),
    "nav_logout": ("Logga ut", "Sign out"),
    "denied_title": ("Ingen åtkomst", "No access"),
    "denied_text": ("Din roll ({role}) har inte tillgång till den här sidan. Be en administratör om en annan roll "
                    "om du behöver den.", "Your role ({role}) has no access to this page. Ask an administrator "
                    "for another role if you need it."),
    "nav_unit_reports": ("Enhetsrapporter", "Unit reports"),
    "nav_walks": ("Trygghetsvandringar", "Safety walks"),
    "skip": ("Hoppa till innehållet", "Skip to content"),
    "language": ("In English", "På svenska"),
    "signed_in_as": ("Inloggad som", "Signed in as"),
    "situation": ("Läget just nu", "The situation now"),
    "this_period": ("Senaste 14 dagarna", "Last 14 days"),
    "previous_period": ("föregående 14 dagar", "previous 14 days"),
    "last_year": ("samma period förra året", "same period last year"),
    "incidents": ("händelser", "incidents"),
    "notable_up": ("Tydlig ökning", "Notable increase"),
    "notable_down": ("Tydlig minskning", "Notable decrease"),
    "no_change": ("Ingen säkerställd förändring", "No significant change"),
    "top_hotspots": ("Största hotspots (senaste 90 dagarna)", "Top hotspots (last 90 days)"),
    "active_hours": ("Aktiva timmar", "Active hours"),
    "by_category": ("Per kategori", "By category"),
    "category": ("Kategori", "Category"),
    "now": ("Nu", "Now"),
    "before": ("Före", "Before"),
    "map": ("Karta", "Map"),
    "filters": ("Filter", "Filters"),
    "from": ("Från", "From"),
    "to": ("Till", "To"),
    "all_categories": ("Alla kategorier", "All categories"),
    "apply": ("Visa", "Show"),
    "map_analys": ("Analyskarta: hotspots, Gi* och täthet", "Analysis map: hotspots, Gi* and density"),
    "map_patrull": ("Patrullkarta: var och när", "Patrol map: where and when"),
    "map_belysning": ("Belysningskarta: mörka platser", "Lighting map: dark places"),
    "map_oversikt": ("Översiktskarta", "Overview map"),
    "map_publik": ("Översikt (sammanställd, utan enskilda händelser)", "Overview (aggregated, no single incidents)"),
    "public_intro": ("Logga in för att se händelser och analyser. Utan inloggning visas bara platser och en "
                     "sammanställd täthetskarta.",
                     "Sign in to see incidents and analyses. Without signing in you see places and an "
                     "aggregated density map only."),
    "login_title": ("Logga in", "Sign in"),
    "username": ("Användarnamn (e-post)", "Username (e-mail)"),
    "password": ("Lösenord", "Password"),
    "login_with_token": ("Logga in med API-nyckel i stället", "Sign in with an API token instead"),
    "login_help": ("Konton skapas av en administratör: lagesbild user create --username namn@mjolby.se "
                   "--role analyst", "An administrator creates accounts: lagesbild user create "
                   "--username name@mjolby.se --role analyst"),
    "token": ("API-nyckel", "API token"),
    "login_failed": ("Fel användarnamn eller lösenord.", "Wrong username or password."),
    "login_failed_token": ("Nyckeln gäller inte (fel eller återkallad).", "The token is not valid (wrong or revoked)."),
    "login_locked": ("För många felaktiga försök: kontot är låst till {until}.",
                     "Too many failed attempts: the account is locked until {until}."),
    "login_oidc_failed": ("Inloggningen via kommunens konto misslyckades: {reason}",
                          "Signing in with the municipal account failed: {reason}"),
    "login_no_account": ("{who} har inget konto i Lägesbild. Be en administratör lägga upp det.",
                         "{who} has no account in Lägesbild. Ask an administrator to create it."),
    "or": ("eller", "or"),
    "report_title": ("Rapportera en händelse", "Report an incident"),
    "report_help": ("Klicka i kartan där händelsen inträffade. Skriv inga personuppgifter i beskrivningen.",
                    "Click the map where it happened. Do not write personal details in the description."),
    "when": ("När hände det?", "When did it happen?"),
    "description": ("Beskrivning (valfri)", "Description (optional)"),
    "position": ("Position", "Position"),
    "no_position": ("Ingen position vald ännu – klicka i kartan.", "No position yet – click the map."),
    "send": ("Skicka rapport", "Send report"),
    "sent": ("Tack! Händelsen är registrerad.", "Thank you! The incident is recorded."),
    "need_login": ("Du behöver logga in för att rapportera.", "You need to sign in to report."),
    "demo_note": ("Demodata: syntetiska händelser, inte verkliga.", "Demo data: synthetic incidents, not real."),
}


def translator(language: Language) -> Callable[[str], str]:
    index = 0 if language == "sv" else 1
    return lambda key: TEXTS[key][index] if key in TEXTS else key
