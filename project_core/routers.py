"""Database routing of the embedded default, where the channel layer has a SQLite database of its
own. channels_lite's router sends its tables there but leaves every other app allowed too, so
each `migrate --database channels` built the whole product's schema a second time (over a
minute of dj-stripe migrations) in a database that never uses it."""

CHANNELS_DATABASE = "channels"


class ChannelsDatabaseOnlyRouter:
    """After channels_lite's own router: nothing but channels_lite in the channels database."""

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == CHANNELS_DATABASE and app_label != "channels_lite":
            return False
        return None
