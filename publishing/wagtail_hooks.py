from wagtail import hooks

from .audit import ACTIONS, action_name


@hooks.register("register_log_actions")
def register_crosspost_log_actions(actions):
    for suffix, label in ACTIONS.items():
        actions.register_action(action_name(suffix), label, label)
