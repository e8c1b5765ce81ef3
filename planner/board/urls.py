from django.urls import path

from planner.board import views

urlpatterns = [
    path("today/", views.day_board, name="day-board"),
]
