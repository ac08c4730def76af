"""Scrapy's downloader with its per-host concurrency enforced under the asyncio reactor.

Scrapy 2.19's ``Downloader._process_queue`` starts each queued download as an asyncio task, and a
task only counts its request as "transferring" once it runs. One pass over a slot's queue thus
sees the slot free for every request in it and starts them all: with ``DOWNLOAD_DELAY = 0``, a
host set to 2 concurrent requests got 7 at once (measured on a local server). With a delay the
pass stops after one request, which hid it. Counting the request when its task is made closes it.
"""
from __future__ import annotations

from scrapy.core.downloader import Downloader


class SlotBoundDownloader(Downloader):
    def _wait_for_download(self, slot, request, queue_dfd):
        slot.transferring.add(request)  # _download adds it again (a set) and removes it when done
        return super()._wait_for_download(slot, request, queue_dfd)
