"""The phrase tables of the template-based script writer (structured.py's "structured"
provider): titles, hooks, body frames and calls to action per template, openers, closers and
picture moods per tone, in English, Spanish, French, German and Portuguese.

Placeholders: {topic}, {n} (number of body scenes), {i} (a body scene's number), {p} and {P}
(a key phrase, as written and capitalised). Other languages use the English book with the
user's own phrases. Adding a language is adding a book here.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Phrasebook:
    titles: dict[str, str]  # per template
    hooks: dict[str, str]  # per template
    ctas: dict[str, str]  # per template
    actions: dict[str, str]  # per platform family: "youtube", "short", "instagram"
    openers: dict[str, str]  # per tone, before the hook
    closers: dict[str, str]  # per tone, after the call to action
    moods: dict[str, str]  # per tone, how pictures should feel
    shots: dict[str, str]  # "hook", "close", "wide", "detail", "medium", "cta"
    counters: dict[str, str]  # numbered templates: "Step {i}."
    bodies: dict[str, tuple[str, ...]]  # per template, "*" for the others


ENGLISH = Phrasebook(
    titles={
        "explainer": "{topic}, explained",
        "listicle": "{n} things to know about {topic}",
        "promo": "Meet {topic}",
        "tutorial": "Getting started with {topic}",
        "story": "The story of {topic}",
        "news": "{topic} in the news",
        "quote": "A thought on {topic}",
        "product": "Say hello to {topic}",
    },
    hooks={
        "explainer": "Ever wondered what's really behind {topic}? Here's the simple version.",
        "listicle": "Here are {n} things to know about {topic}.",
        "promo": "Meet {topic}. Here's why you'll love it.",
        "tutorial": "Here's how to get started with {topic}, step by step.",
        "story": "This is the story of {topic}.",
        "news": "Here's what you need to know about {topic} right now.",
        "quote": "Here's a thought about {topic} worth keeping.",
        "product": "Looking for {topic}? This is the one to watch.",
    },
    ctas={
        "explainer": "Now you know the basics of {topic}.",
        "listicle": "That's the list on {topic}. Which one surprised you most?",
        "promo": "Ready to try {topic}? Check the link to get started.",
        "tutorial": "Now it's your turn to try {topic}.",
        "story": "And that's the story of {topic}.",
        "news": "That's the latest on {topic}.",
        "quote": "Let that thought about {topic} stay with you today.",
        "product": "Get {topic} today through the link.",
    },
    actions={
        "youtube": "Subscribe for more videos like this.",
        "short": "Follow for more.",
        "instagram": "Save this post and follow for more.",
    },
    openers={
        "friendly": "Hey there!",
        "professional": "",
        "energetic": "Okay, let's go!",
        "calm": "Take a slow breath.",
        "humorous": "Fair warning, this gets fun.",
        "inspirational": "Every big change starts small.",
    },
    closers={
        "friendly": "Thanks for watching!",
        "professional": "Thank you for your time.",
        "energetic": "See you in the next one!",
        "calm": "Take care.",
        "humorous": "Your move, internet.",
        "inspirational": "Go make it happen.",
    },
    moods={
        "friendly": "warm, natural light",
        "professional": "clean, well-lit",
        "energetic": "bold colours, dynamic angle",
        "calm": "soft light, slow pace",
        "humorous": "playful, bright colours",
        "inspirational": "golden-hour light, uplifting",
    },
    shots={
        "hook": "Opening shot",
        "close": "Close-up",
        "wide": "Wide shot",
        "detail": "Detail shot",
        "medium": "Medium shot",
        "cta": "Closing shot with on-screen text",
    },
    counters={"listicle": "Number {i}.", "tutorial": "Step {i}."},
    bodies={
        "explainer": (
            "Let's start with {p}.",
            "Here's where {p} comes in.",
            "A big part of the picture is {p}.",
            "Think of {p} as one of the building blocks.",
            "Don't skip over {p}, it explains a lot.",
            "Once you see {p}, the rest makes sense.",
        ),
        "listicle": (
            "{P}, a classic for a reason.",
            "{P}, the one most people overlook.",
            "{P}, which changes the whole game.",
            "{P}, easier than it sounds.",
            "{P}, worth a second look.",
            "{P}, the one to remember.",
        ),
        "promo": (
            "Say hello to {p}.",
            "With {p}, everyday tasks feel lighter.",
            "{P}, designed with you in mind.",
            "Love {p}? You're in the right place.",
            "{P}, ready when you are.",
            "{P}, without the hassle.",
        ),
        "tutorial": (
            "Get familiar with {p}.",
            "Set up {p}.",
            "Work on {p} until it feels natural.",
            "Check your progress with {p}.",
            "Fine-tune {p}.",
            "Put {p} to work.",
        ),
        "story": (
            "It all began with {p}.",
            "Then came {p}.",
            "Nobody saw {p} coming.",
            "Everything turned on {p}.",
            "Slowly, {p} changed everything.",
            "And in the end, there was {p}.",
        ),
        "news": (
            "Top of the news, {p}.",
            "Also making headlines, {p}.",
            "Experts are watching {p} closely.",
            "Behind the story is {p}.",
            "What happens next with {p} matters.",
            "Keep an eye on {p} in the coming weeks.",
        ),
        "quote": (
            "Think about {p} for a moment.",
            "Let {p} remind you what matters.",
            "Sometimes all it takes is {p}.",
            "Hold on to {p}.",
            "Let {p} guide your next step.",
            "Make room for {p}.",
        ),
        "product": (
            "Built around {p}.",
            "{P}, done right.",
            "You get {p} without the hassle.",
            "Designed for {p}.",
            "Count on {p} every day.",
            "The standout feature? {P}.",
        ),
    },
)

SPANISH = Phrasebook(
    titles={
        "explainer": "{topic}, explicado",
        "listicle": "{n} cosas que saber sobre {topic}",
        "promo": "Te presentamos {topic}",
        "tutorial": "Primeros pasos con {topic}",
        "story": "La historia de {topic}",
        "news": "{topic}, en las noticias",
        "quote": "Una idea sobre {topic}",
        "product": "Descubre {topic}",
    },
    hooks={
        "explainer": "¿Alguna vez te has preguntado qué hay detrás de {topic}? "
        "Aquí va la versión sencilla.",
        "listicle": "Aquí tienes {n} cosas que debes saber sobre {topic}.",
        "promo": "Te presentamos {topic}. Esto es lo que te va a encantar.",
        "tutorial": "Así se empieza con {topic}, paso a paso.",
        "story": "Esta es la historia de {topic}.",
        "news": "Esto es lo que necesitas saber hoy sobre {topic}.",
        "quote": "Una idea sobre {topic} que vale la pena guardar.",
        "product": "¿Buscas {topic}? Mira esto.",
    },
    ctas={
        "explainer": "Ahora ya conoces lo básico sobre {topic}.",
        "listicle": "Esa es la lista sobre {topic}. ¿Cuál te sorprendió más?",
        "promo": "¿Listo para probar {topic}? Mira el enlace para empezar.",
        "tutorial": "Ahora te toca a ti probar {topic}.",
        "story": "Y esa es la historia de {topic}.",
        "news": "Eso es lo último sobre {topic}.",
        "quote": "Quédate hoy con esta idea sobre {topic}.",
        "product": "Consigue {topic} hoy en el enlace.",
    },
    actions={
        "youtube": "Suscríbete para ver más vídeos como este.",
        "short": "Síguenos para ver más.",
        "instagram": "Guarda esta publicación y síguenos para más.",
    },
    openers={
        "friendly": "¡Hola!",
        "professional": "",
        "energetic": "¡Vamos allá!",
        "calm": "Respira hondo.",
        "humorous": "Aviso, esto se pone divertido.",
        "inspirational": "Todo gran cambio empieza en pequeño.",
    },
    closers={
        "friendly": "¡Gracias por ver!",
        "professional": "Gracias por su tiempo.",
        "energetic": "¡Nos vemos en el próximo!",
        "calm": "Cuídate.",
        "humorous": "Tu turno, internet.",
        "inspirational": "Ve y hazlo realidad.",
    },
    moods={
        "friendly": "luz cálida y natural",
        "professional": "limpio y bien iluminado",
        "energetic": "colores intensos, ángulo dinámico",
        "calm": "luz suave, ritmo lento",
        "humorous": "divertido, colores vivos",
        "inspirational": "luz dorada, inspirador",
    },
    shots={
        "hook": "Plano de apertura",
        "close": "Primer plano",
        "wide": "Plano general",
        "detail": "Plano detalle",
        "medium": "Plano medio",
        "cta": "Plano de cierre con texto en pantalla",
    },
    counters={"listicle": "Número {i}.", "tutorial": "Paso {i}."},
    bodies={
        "*": (
            "Empecemos por {p}.",
            "Aquí es donde entra {p}.",
            "Una parte clave es {p}.",
            "No pases por alto {p}.",
            "Piensa en {p} como una pieza clave.",
            "Con {p}, todo empieza a tener sentido.",
        )
    },
)

FRENCH = Phrasebook(
    titles={
        "explainer": "{topic}, expliqué",
        "listicle": "{n} choses à savoir sur {topic}",
        "promo": "Découvrez {topic}",
        "tutorial": "Débuter avec {topic}",
        "story": "L'histoire de {topic}",
        "news": "{topic} dans l'actualité",
        "quote": "Une pensée sur {topic}",
        "product": "Zoom sur {topic}",
    },
    hooks={
        "explainer": "Vous êtes-vous déjà demandé ce qui se cache derrière {topic} ? "
        "Voici la version simple.",
        "listicle": "Voici {n} choses à savoir sur {topic}.",
        "promo": "Découvrez {topic}. Voici pourquoi vous allez adorer.",
        "tutorial": "Voici comment débuter avec {topic}, étape par étape.",
        "story": "Voici l'histoire de {topic}.",
        "news": "Voici ce qu'il faut savoir aujourd'hui sur {topic}.",
        "quote": "Une pensée sur {topic} à garder en tête.",
        "product": "Vous cherchez {topic} ? Regardez ceci.",
    },
    ctas={
        "explainer": "Vous connaissez maintenant l'essentiel sur {topic}.",
        "listicle": "Voilà la liste sur {topic}. Lequel vous a le plus surpris ?",
        "promo": "Prêt à essayer {topic} ? Suivez le lien pour commencer.",
        "tutorial": "À vous maintenant d'essayer {topic}.",
        "story": "Et voilà l'histoire de {topic}.",
        "news": "Voilà les dernières nouvelles sur {topic}.",
        "quote": "Gardez cette pensée sur {topic} avec vous aujourd'hui.",
        "product": "Procurez-vous {topic} dès aujourd'hui via le lien.",
    },
    actions={
        "youtube": "Abonnez-vous pour plus de vidéos comme celle-ci.",
        "short": "Abonnez-vous pour en voir plus.",
        "instagram": "Enregistrez ce post et abonnez-vous pour plus.",
    },
    openers={
        "friendly": "Salut !",
        "professional": "",
        "energetic": "C'est parti !",
        "calm": "Respirez profondément.",
        "humorous": "Attention, ça va être drôle.",
        "inspirational": "Tout grand changement commence petit.",
    },
    closers={
        "friendly": "Merci d'avoir regardé !",
        "professional": "Merci de votre attention.",
        "energetic": "On se retrouve dans la prochaine !",
        "calm": "Prenez soin de vous.",
        "humorous": "À vous de jouer, internet.",
        "inspirational": "Allez, lancez-vous.",
    },
    moods={
        "friendly": "lumière chaude et naturelle",
        "professional": "épuré et bien éclairé",
        "energetic": "couleurs vives, angle dynamique",
        "calm": "lumière douce, rythme lent",
        "humorous": "ludique, couleurs éclatantes",
        "inspirational": "lumière dorée, inspirant",
    },
    shots={
        "hook": "Plan d'ouverture",
        "close": "Gros plan",
        "wide": "Plan large",
        "detail": "Plan de détail",
        "medium": "Plan moyen",
        "cta": "Plan de clôture avec texte à l'écran",
    },
    counters={"listicle": "Numéro {i}.", "tutorial": "Étape {i}."},
    bodies={
        "*": (
            "Commençons par {p}.",
            "C'est là qu'intervient {p}.",
            "Un élément clé, {p}.",
            "Ne négligez pas {p}.",
            "Voyez {p} comme une pièce essentielle.",
            "Avec {p}, tout prend son sens.",
        )
    },
)

GERMAN = Phrasebook(
    titles={
        "explainer": "{topic}, erklärt",
        "listicle": "{n} Dinge über {topic}",
        "promo": "Das ist {topic}",
        "tutorial": "Einstieg in {topic}",
        "story": "Die Geschichte von {topic}",
        "news": "{topic} in den Nachrichten",
        "quote": "Ein Gedanke zu {topic}",
        "product": "Entdecke {topic}",
    },
    hooks={
        "explainer": "Hast du dich je gefragt, was hinter {topic} steckt? "
        "Hier ist die einfache Version.",
        "listicle": "Hier sind {n} Dinge, die du über {topic} wissen solltest.",
        "promo": "Das ist {topic}. Darum wirst du es lieben.",
        "tutorial": "So startest du mit {topic}, Schritt für Schritt.",
        "story": "Das ist die Geschichte von {topic}.",
        "news": "Das musst du heute über {topic} wissen.",
        "quote": "Ein Gedanke zu {topic}, der bleibt.",
        "product": "Auf der Suche nach {topic}? Schau dir das an.",
    },
    ctas={
        "explainer": "Jetzt kennst du die Grundlagen zu {topic}.",
        "listicle": "Das war die Liste zu {topic}. Was hat dich am meisten überrascht?",
        "promo": "Bereit für {topic}? Alles Weitere findest du im Link.",
        "tutorial": "Jetzt bist du dran, {topic} auszuprobieren.",
        "story": "Und das ist die Geschichte von {topic}.",
        "news": "Das ist das Neueste zu {topic}.",
        "quote": "Nimm diesen Gedanken zu {topic} heute mit.",
        "product": "Hol dir {topic} noch heute über den Link.",
    },
    actions={
        "youtube": "Abonniere für mehr Videos wie dieses.",
        "short": "Folge für mehr.",
        "instagram": "Speichere diesen Beitrag und folge für mehr.",
    },
    openers={
        "friendly": "Hallo!",
        "professional": "",
        "energetic": "Los geht's!",
        "calm": "Atme tief durch.",
        "humorous": "Achtung, jetzt wird's lustig.",
        "inspirational": "Jede große Veränderung beginnt klein.",
    },
    closers={
        "friendly": "Danke fürs Zuschauen!",
        "professional": "Vielen Dank für Ihre Zeit.",
        "energetic": "Bis zum nächsten Mal!",
        "calm": "Mach's gut.",
        "humorous": "Du bist dran, Internet.",
        "inspirational": "Mach es wahr.",
    },
    moods={
        "friendly": "warmes, natürliches Licht",
        "professional": "klar und hell ausgeleuchtet",
        "energetic": "kräftige Farben, dynamischer Winkel",
        "calm": "weiches Licht, ruhiges Tempo",
        "humorous": "verspielt, bunte Farben",
        "inspirational": "goldenes Licht, inspirierend",
    },
    shots={
        "hook": "Eröffnungseinstellung",
        "close": "Nahaufnahme",
        "wide": "Totale",
        "detail": "Detailaufnahme",
        "medium": "Halbnahe",
        "cta": "Schlusseinstellung mit Text im Bild",
    },
    counters={"listicle": "Nummer {i}.", "tutorial": "Schritt {i}."},
    bodies={
        "*": (
            "Fangen wir mit {p} an.",
            "Hier kommt {p} ins Spiel.",
            "Ein wichtiger Teil ist {p}.",
            "Unterschätze {p} nicht.",
            "Sieh {p} als einen Baustein.",
            "Mit {p} ergibt alles Sinn.",
        )
    },
)

PORTUGUESE = Phrasebook(
    titles={
        "explainer": "{topic}, explicado",
        "listicle": "{n} coisas sobre {topic}",
        "promo": "Conheça {topic}",
        "tutorial": "Primeiros passos com {topic}",
        "story": "A história de {topic}",
        "news": "{topic} nas notícias",
        "quote": "Uma ideia sobre {topic}",
        "product": "Descubra {topic}",
    },
    hooks={
        "explainer": "Já se perguntou o que existe por trás de {topic}? Aqui vai a versão simples.",
        "listicle": "Aqui estão {n} coisas para saber sobre {topic}.",
        "promo": "Conheça {topic}. Veja por que você vai adorar.",
        "tutorial": "Veja como começar com {topic}, passo a passo.",
        "story": "Esta é a história de {topic}.",
        "news": "Isto é o que você precisa saber hoje sobre {topic}.",
        "quote": "Uma ideia sobre {topic} que vale a pena guardar.",
        "product": "Procurando {topic}? Veja isto.",
    },
    ctas={
        "explainer": "Agora você já conhece o básico sobre {topic}.",
        "listicle": "Essa foi a lista sobre {topic}. Qual te surpreendeu mais?",
        "promo": "Pronto para experimentar {topic}? Confira o link para começar.",
        "tutorial": "Agora é sua vez de experimentar {topic}.",
        "story": "E essa é a história de {topic}.",
        "news": "Essas são as últimas sobre {topic}.",
        "quote": "Leve hoje com você esta ideia sobre {topic}.",
        "product": "Garanta {topic} hoje pelo link.",
    },
    actions={
        "youtube": "Inscreva-se para mais vídeos como este.",
        "short": "Siga para ver mais.",
        "instagram": "Salve este post e siga para mais.",
    },
    openers={
        "friendly": "Olá!",
        "professional": "",
        "energetic": "Bora lá!",
        "calm": "Respire fundo.",
        "humorous": "Aviso, isto vai ser divertido.",
        "inspirational": "Toda grande mudança começa pequena.",
    },
    closers={
        "friendly": "Obrigado por assistir!",
        "professional": "Obrigado pelo seu tempo.",
        "energetic": "Até o próximo!",
        "calm": "Se cuida.",
        "humorous": "Sua vez, internet.",
        "inspirational": "Vá e faça acontecer.",
    },
    moods={
        "friendly": "luz quente e natural",
        "professional": "limpo e bem iluminado",
        "energetic": "cores fortes, ângulo dinâmico",
        "calm": "luz suave, ritmo lento",
        "humorous": "divertido, cores vivas",
        "inspirational": "luz dourada, inspirador",
    },
    shots={
        "hook": "Plano de abertura",
        "close": "Close",
        "wide": "Plano aberto",
        "detail": "Plano de detalhe",
        "medium": "Plano médio",
        "cta": "Plano final com texto na tela",
    },
    counters={"listicle": "Número {i}.", "tutorial": "Passo {i}."},
    bodies={
        "*": (
            "Vamos começar por {p}.",
            "É aqui que entra {p}.",
            "Uma parte importante é {p}.",
            "Não ignore {p}.",
            "Pense em {p} como uma peça-chave.",
            "Com {p}, tudo começa a fazer sentido.",
        )
    },
)

PHRASEBOOKS: dict[str, Phrasebook] = {
    "en": ENGLISH,
    "es": SPANISH,
    "fr": FRENCH,
    "de": GERMAN,
    "pt": PORTUGUESE,
}
