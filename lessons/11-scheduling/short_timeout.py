# -*- coding: utf-8 -*-
# timing.py's app with a visibility timeout of 5 s instead of the default hour: shorter than the
# countdown section 6 uses, as one hour is shorter than a countdown of two hours.
from timing import app

app.conf.broker_transport_options = {'visibility_timeout': 5}
