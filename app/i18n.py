"""The one catalogue of what users read, Swedish first, English as an option.

- TEXTS: interface texts of pages, maps and printed sheets (`text(key, language)`, `translator`).
- LABELS: the words for stored codes (a finding's kind, an intervention's status, a role …), so no page
  shows "in_progress" or "(analyst)": `label(group, code, language)`, `labels(group, language)`.

Errors carry their two texts where they are raised (`DomainError(msg, sv=...)`: the API answers in
English, pages in the reader's language); pydantic's validation errors are worded in
app/web/messages.py from their type. Code, API and logs stay English.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

Language = Literal["sv", "en"]

TEXTS: dict[str, tuple[str, str]] = {
    "app_tagline": ("Gemensam lägesbild för trygghetsarbetet", "Joint situation picture for community safety"),
    "nav_start": ("Start", "Home"),
    "nav_analys": ("Analys", "Analysis"),
    "nav_patrull": ("Patrull", "Patrol"),
    "nav_belysning": ("Belysning", "Lighting"),
    "nav_worklist": ("Arbetslista", "Work list"),
    "nav_lighting_cases": ("Belysningsärenden", "Lighting cases"),
    "nav_report": ("Rapportera händelse", "Report an incident"),
    "nav_login": ("Logga in", "Sign in"),
    "nav_logout": ("Logga ut", "Sign out"),
    "ur_title": ('Enheternas rapporter', 'Unit reports'),
    "ur_period_choice": ("Rapportera för perioden", "Report for the period"),
    "ur_period_ended": ("just avslutad, till mötet", "just ended, until the meeting"),
    "ur_intro": (
        'Rapportperiod {start} – {end}. Varje enhet rapporterar händelser och iakttagelser inför lägesbilden;'
        ' en ny rapport för samma period ersätter den tidigare.',
        'Reporting period {start} – {end}. Each unit reports events and observations for the joint situation '
        'picture; a new report for the same period replaces the earlier one.'),
    "ur_status": ('Har rapporterat denna period?', 'Reported this period?'),
    "ur_unit": ('Enhet', 'Unit'),
    "ur_reported": ('Rapporterat', 'Reported'),
    "ur_events": ('Händelser', 'Events'),
    "ur_observations": ('Iakttagelser', 'Observations'),
    "ur_by": ('Av', 'By'),
    "yes": ('Ja', 'Yes'),
    "no": ('Nej', 'No'),
    "ur_saved": ('Tack! Rapporten är sparad (nr {id}).', 'Thank you! The report is saved (no. {id}).'),
    "not_saved": ('Det sparades inte:', 'Nothing was saved:'),
    "rates_title": ('Anmälda brott per 100 000 invånare', 'Reported crimes per 100,000 inhabitants'),
    "rates_year": ('År', 'Year'),
    "rates_country": ('Riket', 'Sweden'),
    "rates_note": ('Brå:s anmälda brott delat med SCB:s folkmängd (annars Brå:s egen siffra, markerad *; länet '
                   'och riket summerade från kommunerna där filen saknar dem, markerade Σ). Anmälda brott speglar '
                   'också anmälningsbenägenhet och polisens arbete, inte bara brottsligheten.',
                   "Brå's reported crimes over SCB's population (else Brå's own figure, marked *; the county and "
                   "the country summed from the municipalities where the file lacks them, marked Σ). Reported "
                   "crimes also reflect willingness to report and police work, not crime alone."),
    "feed_stale": ('Polisens händelser hämtades senast {when}, för mer än {days} dygn sedan. Flödet visar bara '
                   'de senaste cirka 8 dygnen, så händelser kan ha gått förlorade. Senaste försöket: {last}.',
                   "The police's events were last fetched {when}, more than {days} days ago. The feed shows only "
                   'about the last 8 days, so events may have been lost. Last attempt: {last}.'),
    "feed_gap": ('Polisens händelser publicerade mellan {from} och {to} passerade flödet utan att hämtas (det håller '
                 'bara de senaste cirka 500 händelserna i hela landet); be polisen om dem.',
                 'Police events published between {from} and {to} passed through the feed unfetched (it holds only '
                 'the latest 500 or so events for the whole country); ask the police for them.'),
    "feed_gap_acknowledge": ('Kvittera luckorna', 'Acknowledge the gaps'),
    "feed_never": ('Polisens händelser har aldrig hämtats utan fel. Senaste försöket: {last}.',
                   "The police's events have never been fetched without an error. Last attempt: {last}."),
    "ur_summary": ('Sammanfattning', 'Summary'),
    "ur_events_legend": ('Händelser (tid och plats)', 'Events (time and place)'),
    "ur_when": ('När', 'When'),
    "ur_category": ('Kategori', 'Category'),
    "ur_place": ('Plats', 'Place'),
    "ur_description": ('Beskrivning', 'Description'),
    "ur_replace_note": (
        'Den sparade rapporten har {n} händelser; skickar du formuläret ersätts de.',
        'The saved report has {n} events; sending the form replaces them.'),
    "ur_no_unit": ("Ditt konto hör inte till någon enhet, så du kan inte lämna en enhetsrapport. Be en "
                   "administratör att ange din enhet.",
                   "Your account belongs to no unit, so you cannot file a unit report. Ask an administrator to set "
                   "your unit."),
    "ur_choose_unit": ("Välj enhet", "Choose a unit"),
    "ur_events_help": ("Fyll i en händelse per ruta. Var: skriv en plats eller gata (förslag visas), tryck "
                       "”Min position”, eller välj på kartan. Sparade händelser står kvar här och kan ändras "
                       "eller tömmas.",
                       "One event per box. Where: type a place or street (suggestions appear), press “My "
                       "position”, or pick on the map. Saved events stay here and can be changed or emptied."),
    "ur_event_n": ("Händelse {n}", "Event {n}"),
    "ur_saved_badge": ("sparad", "saved"),
    "ur_choose_category": ("Välj kategori", "Choose a category"),
    "ur_where": ("Var (plats eller gata)", "Where (place or street)"),
    "ur_where_placeholder": ("t.ex. Resecentrum eller Järnvägsgatan", "e.g. Resecentrum or Järnvägsgatan"),
    "ur_my_position": ("Min position", "My position"),
    "ur_pick_on_map": ("Välj på kartan", "Pick on the map"),
    "ur_clear_position": ("Ta bort position", "Remove position"),
    "ur_map_title": ("Karta för att välja position", "Map to pick a position"),
    "ur_map_help": ("Tryck på kartan, eller flytta den med piltangenterna och välj ”Använd kartans mitt”.",
                    "Tap the map, or move it with the arrow keys and choose “Use the map's centre”."),
    "ur_use_centre": ("Använd kartans mitt", "Use the map's centre"),
    "ur_obs_n": ("Iakttagelse {n}", "Observation {n}"),
    "ur_obs_text": ("Vad såg ni?", "What did you see?"),
    "position_set": ("Position vald", "Position set"),
    "position_denied": ("Din position kunde inte hämtas; tryck på kartan i stället.",
                        "Your position could not be read; tap the map instead."),
    "lc_title": ("Belysningsärenden", "Lighting cases"),
    "lc_intro": ("Öppna ärenden, äldst först, och de som stängts de senaste 30 dagarna. Varje steg sparas "
                 "med vem, när och anteckning.",
                 "Open cases, oldest first, and those closed in the last 30 days. Every step is kept with who, "
                 "when and a note."),
    "lc_history": ("Historik", "History"),
    "lc_note": ("Anteckning (valfri)", "Note (optional)"),
    "lc_none": ("Inga belysningsärenden.", "No lighting cases."),
    "lc_moved": ("Ärende {id} är uppdaterat.", "Case {id} is updated."),
    "lc_closed": ("stängt", "closed"),
    "lc_lamp": ("lampa", "lamp"),
    "pr_title": ("Felanmälan: mörk plats eller trasig lampa", "Report a dark place or a broken lamp"),
    "pr_intro": ("Ingen inloggning behövs. Din beskrivning läses bara av kommunens personal och visas aldrig "
                 "offentligt. Akuta ärenden: ring 112.",
                 "No account needed. Your description is read only by municipal staff and never shown in "
                 "public. Emergencies: call 112."),
    "pr_what": ("Vad gäller det?", "What is it about?"),
    "pr_where": ("Var? Skriv en gata eller plats, eller välj på kartan",
                 "Where? Type a street or place, or pick on the map"),
    "pr_description": ("Beskrivning (valfri, visas inte offentligt)", "Description (optional, never public)"),
    "pr_send": ("Skicka felanmälan", "Send the report"),
    "pr_saved": ("Tack! Felanmälan är mottagen (ärende {id}).", "Thank you! The report is received (case {id})."),
    "pr_link": ("Anmäl en mörk plats eller trasig lampa", "Report a dark place or a broken lamp"),
    "quick_period": ("Snabbval", "Quick period"),
    "quick_14d": ("14 dagar", "14 days"),
    "quick_28d": ("28 dagar", "28 days"),
    "quick_kvartal": ("Kvartal", "Quarter"),
    "quick_ar": ("År", "Year"),
    "more_filters": ("Kategorier, tid på dygnet och veckodagar", "Categories, time of day and weekdays"),
    "filters_on": ("filter valda", "filters on"),
    "time_of_day": ("Tid på dygnet", "Time of day"),
    "hour_from": ("Från kl.", "From"),
    "hour_to": ("till kl.", "to"),
    "weekdays": ("Veckodagar", "Weekdays"),
    "weekday_1": ("mån", "Mon"), "weekday_2": ("tis", "Tue"), "weekday_3": ("ons", "Wed"), "weekday_4": ("tor", "Thu"),
    "weekday_5": ("fre", "Fri"), "weekday_6": ("lör", "Sat"), "weekday_7": ("sön", "Sun"),
    "ur_obs_legend": ('Iakttagelser per plats', 'Observations per place'),
    "ur_general": ('Allmänt', 'General'),
    "ur_send": ('Skicka rapporten', 'Send the report'),
    "ur_list": ('Rapporter denna period', 'Reports this period'),
    "ur_none": ('Inga rapporter ännu.', 'No reports yet.'),
    "w_title": ('Trygghetsvandringar', 'Safety walks'),
    "w_intro": (
        'Registrera vandringen och dess fynd. Ett fynd kan med en knapp bli en insats eller ett '
        'belysningsärende; det syns sedan i lägesbilden.',
        'Record the walk and its findings. With one button a finding becomes an intervention or a lighting '
        'case; it then shows in the situation picture.'),
    "w_saved": ('Sparat.', 'Saved.'),
    "w_made_intervention": ('Insatsen är skapad.', 'The intervention is created.'),
    "w_made_lighting": ('Belysningsärendet är skapat.', 'The lighting case is created.'),
    "w_new": ('Ny vandring', 'New walk'),
    "w_date": ('Datum', 'Date'),
    "w_area": ('Område', 'Area'),
    "w_place": ('Plats (valfri)', 'Place (optional)'),
    "w_participants": ('Deltagare', 'Participants'),
    "w_org": ('Ansvarig organisation', 'Responsible organisation'),
    "w_save_walk": ('Spara vandringen', 'Save the walk'),
    "w_new_finding": ('Nytt fynd', 'New finding'),
    "w_walk": ('Vandring', 'Walk'),
    "w_kind": ('Typ', 'Kind'),
    "w_owner": ('Ansvarig', 'Owner'),
    "w_priority": ('Prioritet', 'Priority'),
    "w_deadline": ('Åtgärdas senast', 'Deadline'),
    "w_position": ('Position', 'Position'),
    "w_click_map": ('klicka i kartan', 'click the map'),
    "w_save_finding": ('Spara fyndet', 'Save the finding'),
    "w_finding": ('Fynd', 'Finding'),
    "w_status": ('Status', 'Status'),
    "w_action": ('Åtgärd', 'Action'),
    "w_overdue": ('försenad', 'overdue'),
    "w_to_intervention": ('Gör till insats', 'Make it an intervention'),
    "w_to_lighting": ('Gör till belysningsärende', 'Make it a lighting case'),
    "w_no_findings": ('Inga fynd registrerade.', 'No findings recorded.'),
    "w_none": ('Inga trygghetsvandringar registrerade ännu.', 'No safety walks recorded yet.'),
    "w_map_label": ('Karta: klicka där fyndet finns', 'Map: click where the finding is'),
    "admin_title": ('Användare', 'Users'),
    "admin_intro": ('Konton, roller och enheter. Varje ändring hamnar i granskningsloggen med vem som gjorde den.',
        'Accounts, roles and units. Every change goes into the audit trail with who made it.'),
    "admin_new": ('Nytt konto', 'New account'),
    "admin_name": ('Namn', 'Name'),
    "admin_role": ('Roll', 'Role'),
    "admin_first_password": ('Första lösenord (minst 12 tecken; tomt = bara OIDC)',
        'First password (12+ characters; empty = OIDC only)'),
    "admin_create": ('Skapa kontot', 'Create the account'),
    "admin_change": ('Ändra', 'Change'),
    "admin_new_password": ('Nytt lösenord för', 'New password for'),
    "admin_set_password": ('Byt lösenord', 'Set password'),
    "admin_disabled": ('Inaktiverat', 'Disabled'),
    "admin_locked": ('Låst', 'Locked'),
    "admin_active": ('Aktivt', 'Active'),
    "admin_enable": ('Aktivera', 'Enable'),
    "admin_disable": ('Inaktivera', 'Disable'),
    "nav_admin": ('Användare', 'Users'),
    "account_title": ('Mitt konto', 'My account'),
    "account_saved": ('Lösenordet är bytt.', 'The password is changed.'),
    "account_current": ('Nuvarande lösenord', 'Current password'),
    "account_new": ('Nytt lösenord (minst 12 tecken)', 'New password (12+ characters)'),
    "account_repeat": ('Nytt lösenord igen', 'New password again'),
    "account_change": ('Byt lösenord', 'Change password'),
    "account_mismatch": ('De två nya lösenorden är olika.', 'The two new passwords differ.'),
    "account_wrong": ('Det nuvarande lösenordet stämmer inte.', 'The current password is wrong.'),
    "api_key_account": ('Du är inloggad med en API-nyckel; den har inget lösenord att byta.',
        'You are signed in with an API token; it has no password to change.'),
    "denied_title": ("Ingen åtkomst", "No access"),
    "denied_text": ("Din roll ({role}) har inte tillgång till den här sidan. Be en administratör om en annan roll "
                    "om du behöver den.", "Your role ({role}) has no access to this page. Ask an administrator "
                    "for another role if you need it."),
    "nav_unit_reports": ("Enhetsrapporter", "Unit reports"),
    "nav_walks": ("Trygghetsvandringar", "Safety walks"),
    "nav_import": ("Importera", "Import"),
    "imp_title": ("Importera händelser från en fil", "Import incidents from a file"),
    "imp_intro": ("CSV (komma eller semikolon), Excel (.xlsx), GeoJSON eller polisens händelseflöde. Kolumnerna "
                  "känns igen på svenska eller engelska rubriker: tid (eller datum och klockslag), kategori och en "
                  "position – lat/lon, x/y i SWEREF 99 TM, RT90 eller kommunens zon – eller en känd plats. Filen "
                  "sparas hel eller inte alls; samma fil två gånger lägger inte till något.",
                  "CSV (comma or semicolon), Excel (.xlsx), GeoJSON or the police events feed. Columns are "
                  "recognised by Swedish or English headers: time (or date and clock), category and a position – "
                  "lat/lon, x/y in SWEREF 99 TM, RT90 or the local zone – or a known place. A file is stored "
                  "whole or not at all; the same file twice adds nothing."),
    "imp_file": ("Fil", "File"),
    "imp_new": ("Ny import", "New import"),
    "imp_source": ("Källa (vem händelserna kommer från)", "Source (who the incidents come from)"),
    "imp_own": ("Din enhet: {unit}", "Your unit: {unit}"),
    "imp_skip": ("Spara de giltiga raderna även om några är fel (de felaktiga listas)",
                 "Store the valid rows even if some are wrong (the wrong ones are listed)"),
    "imp_check": ("Kontrollera filen", "Check the file"),
    "imp_import": ("Importera", "Import"),
    "imp_checked": ("Kontroll av {file}: inget har sparats ännu. Välj filen igen och tryck Importera.",
                    "Check of {file}: nothing is stored yet. Choose the file again and press Import."),
    "imp_saved": ("{file} är importerad.", "{file} is imported."),
    "imp_rejected": ("{file} har fel på {n} rader; inget sparades.",
                     "{file} has errors on {n} rows; nothing was stored."),
    "imp_rows_read": ("Rader lästa", "Rows read"),
    "imp_valid": ("Giltiga", "Valid"),
    "imp_inserted": ("Sparade", "Stored"),
    "imp_duplicates": ("Fanns redan", "Already stored"),
    "imp_rejected_rows": ("Med fel", "With errors"),
    "imp_skipped": ("Hoppade över", "Skipped"),
    "imp_grid": ("Koordinater lästa som {grid}: {n} rader", "Coordinates read as {grid}: {n} rows"),
    "imp_row": ("Rad", "Row"),
    "imp_field": ("Fält", "Field"),
    "imp_reason": ("Orsak", "Reason"),
    "imp_more": ("… och fler; använd lagesbild import --skip-invalid för hela listan.",
                 "… and more; lagesbild import --skip-invalid writes the whole list."),
    "skip": ("Hoppa till innehållet", "Skip to content"),
    "language": ("In English", "På svenska"),
    "signed_in_as": ("Inloggad som", "Signed in as"),
    "situation": ("Läget just nu", "The situation now"),
    "this_period": ("Senaste 14 dagarna", "Last 14 days"),
    "previous_period": ("föregående 14 dagar", "previous 14 days"),
    "last_year": ("samma period förra året", "same period last year"),
    "incidents": ("händelser", "incidents"),
    "notable_up": ("Säkerställd ökning", "Significant increase"),
    "notable_down": ("Säkerställd minskning", "Significant decrease"),
    "no_change": ("Ingen säkerställd förändring", "No significant change"),
    "no_data_before": ("Data saknas för jämförelseperioden", "No data for the earlier period"),
    "change_test": ("Exakt Poisson-test, korrigerat för många jämförelser (Benjamini–Hochberg, 5 %).",
                    "Exact Poisson test, corrected for many comparisons (Benjamini–Hochberg, 5 %)."),
    "top_hotspots": ("Största hotspots", "Top hotspots"),
    "period": ("Period", "Period"),
    "error_back": ("Tillbaka", "Back"),
    "error_400": ("Något i adressen eller formuläret stämmer inte", "Something in the address or form is wrong"),
    "error_401": ("Du behöver logga in", "You need to sign in"),
    "error_403": ("Du har inte tillgång till det här", "You do not have access to this"),
    "error_404": ("Sidan finns inte", "The page does not exist"),
    "error_405": ("Det går inte att göra så här", "This cannot be done here"),
    "error_413": ("Filen eller formuläret är för stort", "The file or form is too large"),
    "error_500": ("Något gick fel hos oss", "Something went wrong on our side"),
    "error_503": ("Tjänsten är tillfälligt upptagen", "The service is busy for a moment"),
    "error_404_text": ("Adressen {path} leder inte till någon sida. Kontrollera länken eller börja från startsidan.",
                       "The address {path} leads to no page. Check the link or start from the home page."),
    "error_500_text": ("Felet är loggat. Försök igen om en stund; kvarstår det, kontakta den som förvaltar "
                       "Lägesbild.", "The error is logged. Try again shortly; if it persists, contact the "
                       "people who run Lägesbild."),
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
    "municipality": ("Kommun", "Municipality"),
    "municipality_all": ("Alla kommuner", "All municipalities"),
    "municipality_choose": ("Välj kommun", "Choose municipality"),
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
    "login_help": ("Saknar du konto? Kontakta kommunens administratör för Lägesbild.",
                   "No account yet? Ask the municipality's Lägesbild administrator."),
    "token": ("API-nyckel", "API token"),
    "login_failed": ("Fel användarnamn eller lösenord. Efter fem felaktiga försök i rad låses kontot i 15 minuter.",
                     "Wrong username or password. After five wrong attempts in a row the account is locked for "
                     "15 minutes."),
    "login_failed_token": ("Nyckeln gäller inte (fel eller återkallad).", "The token is not valid (wrong or revoked)."),
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
    # maps (app/maps/render.py)
    "map_zoom_in_button": ("Zooma in", "Zoom in"),
    "map_zoom_out_button": ("Zooma ut", "Zoom out"),
    "map_layers_button": ("Kartlager", "Map layers"),
    "map_lamp_fault": ("Lampfel", "Lamp fault"),
    "map_dark_spot": ("Mörk plats", "Dark spot"),
    "map_priority_high": ("Gata: hög prioritet att tända", "Street: high relighting priority"),
    "map_priority_low": ("Gata: låg prioritet", "Street: low priority"),
    "map_incidents": ('Händelser', 'Incidents'),
    "map_density": ('Täthet (värmekarta)', 'Density (heat map)'),
    "map_hotspots": ('Hotspots (kluster)', 'Hotspots (clusters)'),
    "map_gistar": ('Gi*: heta och kalla celler', 'Gi*: hot and cold cells'),
    "map_places": ('Otrygga platser', 'Perceived-unsafe places'),
    "map_patrol": ('Patrull: prioriterade platser och tider', 'Patrol: priority places and hours'),
    "map_lighting": ('Belysning: mörka platser och fel', 'Lighting: dark places and faults'),
    "map_legend": ('Teckenförklaring', 'Legend'),
    "map_public": ('Händelser per ruta (med skyddsbrus, avrundat till 5)',
                   'Incidents per cell (with protective noise, rounded to 5)'),
    "map_events": ('händelser', 'incidents'),
    "map_unsafe": ('Andel otrygga (enkät)', 'Share feeling unsafe (survey)'),
    "map_no_survey": ('ingen enkät', 'no survey'),
    "map_police_survey": ('Polisens trygghetsmätning (index 0–6)', "Police safety survey (index 0–6)"),
    "map_hot": ('Het', 'Hot'),
    "map_cold": ('Kall', 'Cold'),
    "map_count": ("Antal", "Count"),
    "map_where": ("Var", "Where"),
    "map_risk": ("Riskterräng: fler händelser än väntat nära faktorerna",
                 "Risk terrain: more incidents than expected near the factors"),
    "map_relative_risk": ("Gånger det väntade", "Times the expected"),
    "map_risk_events": ("händelser senaste halvåret", "incidents in the last half-year"),
    "map_document_title": ("Karta · Lägesbild", "Map · Lägesbild"),
    "map_list_title": ("Hotspots i listform", "Hotspots as a list"),
    "map_street_base_note": ("Gator: lokal gatukarta (bakgrundskartan kunde inte laddas)",
                             "Streets: local street base (the background map could not be loaded)"),
    "map_share": ('Andel av alla', 'Share of all'),
    "map_hours": ('Aktiva timmar', 'Active hours'),
    "map_trend": ('Trend mot föregående period', 'Trend vs previous period'),
    "map_up": ('säkerställd ökning', 'significant increase'),
    "map_down": ('säkerställd minskning', 'significant decrease'),
    "map_unchanged": ('ingen säkerställd förändring', 'no significant change'),
    "map_no_data": ('data saknas för föregående period', 'no data for the previous period'),
    "map_study_area": ('Analysområde för Gi*: rutor om 250 m där någon händelse finns under perioden',
                       'Gi* study area: 250 m squares holding any incident of the period'),
    "map_source": ('Källa', 'Source'),
    "map_confidence": ('Säkerhet', 'Confidence'),
    "map_area": ('Analysområde', 'Analysis area'),
    "map_zoom_in": ('Zooma in för enskilda händelser', 'Zoom in for single incidents'),
}


VALIDITY_TEXTS: dict[str, tuple[str, str]] = {
    "validity_title": ("Hur säkra är analyserna?", "How sure are the analyses?"),
    "validity_intro": (
        "Varje påstående som sidorna gör – en hotspot, en ny eller växande hot spot, en trend, en ▲ eller ▼, en "
        "ruta på kartan över förändring, en faktor med fler händelser än väntat, en insats effekt – prövas här "
        "mot data där det inte finns något att hitta: slumpmässigt utspridda händelser, en ojämn men oförändrad "
        "stad (händelserna följer var folk är, samma platser är alltid livligast), en ökning i hela kommunen och "
        "en säsong som upprepas varje år. Siffran är andelen körningar där påståendet ändå görs: målet är högst "
        "5 %. Kolumnen ”Planterat” visar hur ofta ett verkligt mönster som lagts in hittas (målet minst 90 %). "
        "Siffror som inte når sitt mål är markerade.",
        "Every claim the pages make – a hotspot, a new or growing hot spot, a trend, a ▲ or ▼, a cell on the map of "
        "change, a factor with more incidents than expected, an intervention's effect – is tried here against data "
        "where there is nothing to find: randomly scattered incidents, an uneven but unchanging town (incidents "
        "follow where people are, the same places are always busiest), a rise in the whole municipality and a "
        "season that repeats every year. The figure is the share of runs in which the claim is still made: the goal "
        "is at most 5 %. The column “Planted” shows how often a real pattern that was put in is found (goal at "
        "least 90 %). Figures that miss their goal are marked."),
    "validity_claim": ("Påstående", "Claim"),
    "validity_found": ("hittas", "found"),
    "validity_none": ("–", "–"),
    "validity_source": ("Tabellen skrivs av bench/validity.py med {seeds} körningar per fall ({date}); hela "
                        "utskriften finns i docs/validity.md.",
                        "The table is written by bench/validity.py with {seeds} runs per case ({date}); the whole "
                        "run is in docs/validity.md."),
    "validity_missing": ("Tabellen har inte tagits fram ännu (bench/validity.py --write).",
                         "The table has not been made yet (bench/validity.py --write)."),
    "validity_link": ("Hur säkra är analyserna?", "How sure are the analyses?"),
}
TEXTS.update(VALIDITY_TEXTS)

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "role": {"admin": ("administratör", "administrator"), "analyst": ("analytiker", "analyst"),
             "planner": ("planerare", "planner"), "technician": ("tekniker", "technician"),
             "reporter": ("rapportör", "reporter")},
    "finding_kind": {"dark_place": ("Mörk plats", "Dark place"), "vegetation": ("Vegetation", "Vegetation"),
                     "damage": ("Skadegörelse/skada", "Damage"), "other": ("Övrigt", "Other")},
    "priority": {"high": ("Hög", "High"), "medium": ("Medel", "Medium"), "low": ("Låg", "Low")},
    "finding_status": {"open": ("öppen", "open"), "in_progress": ("pågår", "in progress"), "done": ("klar", "done"),
                       "converted": ("omvandlad", "converted")},
    "intervention_kind": {"patrol": ("patrullering", "patrol"), "lighting": ("belysning", "lighting"),
                          "vegetation": ("vegetation", "vegetation"), "cleaning": ("städning", "cleaning"),
                          "cameras": ("kameror", "cameras"), "youth_workers": ("fältarbetare", "youth workers"),
                          "other": ("övrigt", "other")},
    "intervention_status": {"planned": ("planerad", "planned"), "active": ("pågår", "active"),
                            "completed": ("avslutad", "completed"), "cancelled": ("inställd", "cancelled")},
    "lighting_kind": {"fault": ("Lampfel", "Lamp fault"), "dark_spot": ("Mörk plats", "Dark spot")},
    "lighting_action": {"confirmed": ("Bekräfta", "Confirm"), "scheduled": ("Planera in", "Schedule"),
                        "fixed": ("Markera åtgärdad", "Mark fixed"), "rejected": ("Avvisa", "Reject")},
    "lighting_status": {"reported": ("anmäld", "reported"), "confirmed": ("bekräftad", "confirmed"),
                        "scheduled": ("planerad", "scheduled"), "fixed": ("åtgärdad", "fixed"),
                        "rejected": ("avvisad", "rejected")},
    "validity_column": {"csr": ("Slump", "Random"), "steady": ("Ojämn, oförändrad stad", "Uneven, unchanging town"),
                        "rise": ("Ökning i hela kommunen", "Rise in the whole municipality"),
                        "season": ("Säsong varje år", "A yearly season"), "planted": ("Planterat", "Planted")},
    "validity_claim": {
        "hotspots": ("Hotspot-område (DBSCAN)", "Hotspot area (DBSCAN)"),
        "gistar": ("Hot spot-ruta (Gi*)", "Hot spot cell (Gi*)"),
        "emerging_lagesbild": ("Ny, sammanhängande eller tilltagande hot spot (lägesbilden, 12 × 14 dagar)",
                               "New, consecutive or intensifying hot spot (lägesbild, 12 × 14 days)"),
        "emerging_api": ("Framväxande hot spot, förändringsklass (API, 12 × 28 dagar)",
                         "Emerging hot spot, change class (API, 12 × 28 days)"),
        "town": ("Hela kommunen: säkerställd ökning eller minskning", "Whole municipality: a significant rise or fall"),
        "trends": ("Hotspotens trend (större eller mindre andel)", "A hotspot's trend (larger or smaller share)"),
        "tables_previous": ("▲/▼ per kategori mot föregående period", "▲/▼ per category against the previous period"),
        "tables_last_year": ("▲/▼ per kategori mot samma period i fjol",
                             "▲/▼ per category against the same period last year"),
        "areas": ("▲/▼ per område", "▲/▼ per area"),
        "change_map": ("Ruta på kartan över förändring", "A cell on the map of change"),
        "rtm_random": ("Orsaksanalys: slumpade faktorer", "Cause analysis: random factors"),
        "rtm_clustered": ("Orsaksanalys: klustrade faktorer utan samband",
                          "Cause analysis: unrelated clustered factors"),
        "rtm_places": ("Orsaksanalys: stadens egna platser (i centrum)",
                       "Cause analysis: the town's own places (central)"),
        "rtm_surface": ("Orsaksanalys: faktorer där folk är", "Cause analysis: factors where people are"),
        "rtm_population": ("Orsaksanalys med befolkningsrutor: stadens egna platser",
                           "Cause analysis with a population grid: the town's own places"),
        "interventions": ("Insats: effekt, förflyttning eller spridning",
                          "Intervention: effect, displacement or diffusion"),
    },
    "emerging": {f"{word}_{kind}": (f"{sv} {noun_sv}", f"{en} {noun_en}")
                 for word, sv, en in (
                     ("new", "Ny", "New"), ("consecutive", "Sammanhängande", "Consecutive"),
                     ("intensifying", "Tilltagande", "Intensifying"), ("persistent", "Ihållande", "Persistent"),
                     ("diminishing", "Avtagande", "Diminishing"), ("sporadic", "Sporadisk", "Sporadic"),
                     ("oscillating", "Växlande", "Oscillating"), ("historical", "Tidigare", "Historical"))
                 for kind, noun_sv, noun_en in (("hot", "hot spot", "hot spot"), ("cold", "kall fläck", "cold spot"))},
}


def text(key: str, language: Language = "sv") -> str:
    """An interface text; an unknown key is shown as itself (visible in review, never a crash)."""
    pair = TEXTS.get(key)
    return key if pair is None else pair[0 if language == "sv" else 1]


def translator(language: Language) -> Callable[[str], str]:
    return lambda key: text(key, language)


def label(group: str, code: str, language: Language = "sv") -> str:
    """The word for a stored code; an unknown code is shown as itself."""
    pair = LABELS[group].get(code)
    return code if pair is None else pair[0 if language == "sv" else 1]


def labels(group: str, language: Language = "sv") -> dict[str, str]:
    return {code: pair[0 if language == "sv" else 1] for code, pair in LABELS[group].items()}
